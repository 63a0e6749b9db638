#!/usr/bin/python3
"""One python3-libtorrent peer (seed or leech) for interop tests and benchmarks. Run with /usr/bin/python3.

usage: lt_peer.py --torrent F --save DIR --mode seed|download [--host 127.0.0.1] [--port N]
                  [--peer host:port]... [--seed-mode] [--utp off|on] [--encryption on|off]
                  [--exit-when-done] [--interval SECONDS]
                  [--tracker URL]... [--dht] [--dht-node host:port]... [--no-outgoing]
                  [--keep-redundant] [--report-peers] [--utp-only] [--download-limit BYTES_PER_S]

Settings: listens on HOST:PORT (port 0 = any free port), uTP off unless --utp on (TCP figures),
allow_multiple_connections_per_ip, no DHT / LSD / UPnP / NAT-PMP, fast extension on (libtorrent's default).
--encryption on keeps libtorrent's default policy (outgoing connections try MSE first and retry in
plaintext), off disables MSE both ways.
Discovery (off unless asked): --tracker adds a tracker URL (its own tier); --dht turns libtorrent's DHT on with
the loopback-friendly settings (no node-id enforcement, no IP restrictions, no dark-internet filter, no
router nodes) and --dht-node adds a node with session.add_dht_node (the DHT shares the listen port).
PEX (ut_pex) is one of libtorrent's default plugins and always on. --no-outgoing: never dial (incoming
connections only). --keep-redundant: close_redundant_connections off (two seeds stay connected, so a
seed can tell a third peer about the other through PEX). --report-peers adds `peers` to progress events.
--utp-only: uTP in and out, TCP off both ways (overrides --utp and --no-outgoing for TCP).
--download-limit: libtorrent's download_rate_limit in bytes/s (0, the default: none).

stdout: JSON lines, each with "event" and "t" (wall clock, ms since the epoch):
  ready    {port, infoHash, infoHashes{v1,v2}, state, progress}   after listening and checking
  progress {progress, downloadRate, uploadRate, numPeers, state, totalDone, totalUpload, totalDownload}  ~1/s
           (+ peers: [{ip, port, source: [tracker|dht|pex|lsd|resume], outgoing, seed}] with --report-peers)
  peer     {ip, port, source, outgoing, seed}              a newly connected peer (with --report-peers; checked
           every loop turn, so short connections are seen too)
  tracker  {url, numPeers}                                 a tracker replied (with --tracker)
  dht      {}                                              the DHT bootstrapped (with --dht)
  done     {bytes, seconds, firstByteSeconds, cpuSeconds, maxRSS, hashFailures}   download finished (leech):
           every piece passed its hash check; the files may still be being written
  flushed  {}                                              after done (unless --exit-when-done): libtorrent's
           disk cache is flushed, the files hold every piece
  error    {message, code}
  exit     {cpuSeconds, maxRSS, totalUpload, totalDownload}   on shutdown
stdin: JSON lines {"cmd":"connect","host":H,"port":P}; closing stdin (or SIGTERM / SIGINT) stops the peer.
"""
import argparse
import json
import queue
import resource
import signal
import sys
import threading
import time

import libtorrent as lt

STOP = threading.Event()
COMMANDS = queue.Queue()


def emit(event, **fields):
    fields = {'event': event, 't': time.time() * 1000, **fields}
    sys.stdout.write(json.dumps(fields) + '\n')
    sys.stdout.flush()


def usage_stats():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {'cpuSeconds': ru.ru_utime + ru.ru_stime, 'maxRSS': ru.ru_maxrss * 1024}


def read_stdin():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            COMMANDS.put(json.loads(line))
        except ValueError:
            emit('error', message='bad command line on stdin: %s' % line[:200], code='usage')
    STOP.set()


def parse_peer(text):
    host, _, port = text.rpartition(':')
    if not host or not port.isdigit():
        raise ValueError('peer must be host:port, got %r' % text)
    return (host.strip('[]'), int(port))


SOURCES = [('tracker', 'tracker'), ('dht', 'dht'), ('pex', 'pex'), ('lsd', 'lsd'), ('resume_data', 'resume')]


def peer_list(h):
    out = []
    for p in h.get_peer_info():
        src = [name for attr, name in SOURCES if p.source & getattr(lt.peer_info, attr)]
        out.append({'ip': p.ip[0], 'port': p.ip[1], 'source': src,
                    'outgoing': bool(p.flags & lt.peer_info.outgoing_connection),
                    'seed': bool(p.flags & lt.peer_info.seed)})
    return out


def state_name(st):
    return str(st.state).split('.')[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--torrent', required=True)
    ap.add_argument('--save', required=True)
    ap.add_argument('--mode', choices=['seed', 'download'], required=True)
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--peer', action='append', default=[])
    ap.add_argument('--seed-mode', action='store_true')
    ap.add_argument('--utp', choices=['on', 'off'], default='off')
    ap.add_argument('--encryption', choices=['on', 'off'], default='on')
    ap.add_argument('--exit-when-done', action='store_true')
    ap.add_argument('--interval', type=float, default=1.0)
    ap.add_argument('--tracker', action='append', default=[])
    ap.add_argument('--dht', action='store_true')
    ap.add_argument('--dht-node', action='append', default=[])
    ap.add_argument('--no-outgoing', action='store_true')
    ap.add_argument('--keep-redundant', action='store_true')
    ap.add_argument('--report-peers', action='store_true')
    ap.add_argument('--utp-only', action='store_true')
    ap.add_argument('--download-limit', type=int, default=0)
    args = ap.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: STOP.set())
    signal.signal(signal.SIGINT, lambda *_: STOP.set())
    threading.Thread(target=read_stdin, daemon=True).start()

    try:
        peers = [parse_peer(p) for p in args.peer]
        dht_nodes = [parse_peer(p) for p in args.dht_node]
    except ValueError as e:
        emit('error', message=str(e), code='usage')
        return 2

    utp = args.utp == 'on'
    settings = {
        'listen_interfaces': '%s:%d' % (args.host, args.port),
        'enable_outgoing_utp': utp,
        'enable_incoming_utp': utp,
        'enable_outgoing_tcp': not args.no_outgoing,
        'enable_incoming_tcp': True,
        'allow_multiple_connections_per_ip': True,
        'enable_dht': args.dht,
        'enable_lsd': False,
        'enable_upnp': False,
        'enable_natpmp': False,
        'alert_mask': lt.alert.category_t.error_notification | lt.alert.category_t.status_notification
        | lt.alert.category_t.storage_notification,
    }
    if args.utp_only:
        settings.update({
            'enable_outgoing_utp': True,
            'enable_incoming_utp': True,
            'enable_outgoing_tcp': False,
            'enable_incoming_tcp': False,
        })
    if args.dht:
        settings.update({
            'dht_bootstrap_nodes': '',
            'dht_enforce_node_id': False,
            'dht_restrict_routing_ips': False,
            'dht_restrict_search_ips': False,
            'dht_ignore_dark_internet': False,
            'dht_prefer_verified_node_ids': False,
            'alert_mask': settings['alert_mask'] | lt.alert.category_t.dht_notification,
        })
    if args.tracker:
        settings['alert_mask'] |= lt.alert.category_t.tracker_notification
    if args.keep_redundant:
        settings['close_redundant_connections'] = False
    if args.download_limit > 0:
        settings['download_rate_limit'] = args.download_limit
    if args.encryption == 'off':
        settings['out_enc_policy'] = int(lt.enc_policy.disabled)
        settings['in_enc_policy'] = int(lt.enc_policy.disabled)
    ses = lt.session(settings)
    if args.download_limit > 0:
        # Loopback and LAN peers are in the 'local' peer class, which the global rate limit does not cover.
        pc = ses.get_peer_class(ses.local_peer_class_id)
        pc['download_limit'] = args.download_limit
        ses.set_peer_class(ses.local_peer_class_id, pc)

    try:
        ti = lt.torrent_info(args.torrent)
    except Exception as e:  # noqa: BLE001 - report any parse failure as an event
        emit('error', message='cannot load torrent: %s' % e, code='torrent_invalid')
        return 1
    atp = lt.add_torrent_params()
    atp.ti = ti
    atp.save_path = args.save
    if args.seed_mode:
        atp.flags |= lt.torrent_flags.seed_mode
    if args.tracker:
        atp.trackers = list(args.tracker)
        atp.tracker_tiers = list(range(len(args.tracker)))
    h = ses.add_torrent(atp)
    added_at = time.time()

    ih = ti.info_hashes()
    v1 = str(ih.v1) if ih.has_v1() else None
    v2 = str(ih.v2) if ih.has_v2() else None
    info_hash = v1 if v1 is not None else v2[:40]

    # Wait for the listen socket and for checking to end.
    port = 0
    deadline = time.time() + 600
    while not STOP.is_set():
        for a in ses.pop_alerts():
            if isinstance(a, lt.listen_failed_alert):
                emit('error', message=a.message(), code='listen_failed')
                return 1
            if isinstance(a, (lt.torrent_error_alert, lt.file_error_alert)):
                emit('error', message=a.message(), code='torrent_error')
                return 1
        port = ses.listen_port()
        st = h.status()
        # An auto-managed torrent stays paused until libtorrent's queue starts it (about 0.5 s after checking),
        # and a paused torrent drops incoming handshakes: only then is the peer really ready.
        paused = bool(st.flags & lt.torrent_flags.paused)
        if port and not paused and st.state not in (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data):
            break
        if time.time() > deadline:
            emit('error', message='timed out waiting to listen and check', code='timed_out')
            return 1
        ses.wait_for_alert(50)
    if STOP.is_set():
        return 0
    st = h.status()
    emit('ready', port=port, infoHash=info_hash, infoHashes={'v1': v1, 'v2': v2}, state=state_name(st), progress=st.progress)

    for p in peers:
        h.connect_peer(p)
    for n in dht_nodes:
        ses.add_dht_node(n)

    hash_failures = 0
    seen_peers = set()
    first_byte = None
    done_sent = args.mode == 'seed'
    next_progress = time.time() + args.interval
    next_reconnect = time.time() + 3
    while not STOP.is_set():
        ses.wait_for_alert(100 if first_byte is not None or done_sent else 10)
        for a in ses.pop_alerts():
            if isinstance(a, lt.hash_failed_alert):
                hash_failures += 1
            elif isinstance(a, (lt.torrent_error_alert, lt.file_error_alert)):
                emit('error', message=a.message(), code='torrent_error')
            elif isinstance(a, lt.tracker_reply_alert):
                emit('tracker', url=a.url, numPeers=a.num_peers)
            elif isinstance(a, lt.dht_bootstrap_alert):
                emit('dht')
            elif isinstance(a, lt.cache_flushed_alert):
                emit('flushed')
        while not COMMANDS.empty():
            cmd = COMMANDS.get()
            if cmd.get('cmd') == 'connect':
                h.connect_peer((str(cmd['host']), int(cmd['port'])))
                peers.append((str(cmd['host']), int(cmd['port'])))
            else:
                emit('error', message='unknown command %r' % cmd.get('cmd'), code='usage')
        now = time.time()
        st = h.status()
        if args.report_peers:
            for p in peer_list(h):
                if (p['ip'], p['port']) not in seen_peers:
                    seen_peers.add((p['ip'], p['port']))
                    emit('peer', **p)
        if first_byte is None and st.total_payload_download > 0:
            first_byte = now
        if not done_sent and st.is_finished:
            done_sent = True
            emit('done', bytes=st.total_wanted, seconds=now - added_at,
                 firstByteSeconds=(first_byte - added_at) if first_byte is not None else None,
                 hashFailures=hash_failures, totalDownload=st.total_payload_download, **usage_stats())
            if args.exit_when_done:
                break
            # is_finished means every piece passed its hash check, not that its blocks are in the files:
            # libtorrent's disk threads may still be writing them. 'flushed' follows once they are.
            h.flush_cache()
        if now >= next_reconnect and not st.is_seeding:
            # libtorrent retries known peers itself; this only re-adds the ones we were told about.
            connected = {(p.ip[0], p.ip[1]) for p in h.get_peer_info()}
            for p in peers:
                if p not in connected:
                    h.connect_peer(p)
            next_reconnect = now + 3
        if now >= next_progress:
            extra = {'peers': peer_list(h)} if args.report_peers else {}
            emit('progress', progress=st.progress, downloadRate=st.download_payload_rate,
                 uploadRate=st.upload_payload_rate, numPeers=st.num_peers, state=state_name(st),
                 totalDone=st.total_done, totalUpload=st.total_payload_upload,
                 totalDownload=st.total_payload_download, **extra)
            next_progress = now + args.interval

    st = h.status()
    emit('exit', totalUpload=st.total_payload_upload, totalDownload=st.total_payload_download, **usage_stats())
    ses.remove_torrent(h)
    return 0


if __name__ == '__main__':
    sys.exit(main())
