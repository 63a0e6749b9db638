#!/usr/bin/python3
"""Cold seek-to-first-byte latency of a python3-libtorrent leech, for test/bench/seek.bench.ts.
Run with /usr/bin/python3.

usage: lt_seek.py --torrent F --save DIR --peer host:port --offsets O1,O2,... [--host 127.0.0.1]
                  [--settle SECONDS]

The leech adds the torrent with every file at priority 0 (nothing downloads on its own), connects to the
peer, and waits until the peer's bitfield is known. Then, for each byte offset in turn (offsets of the
torrent's data, as in a single-file torrent), it does what libtorrent streaming applications do:
set_piece_deadline(piece, 0, alert_when_available) on the piece holding the offset, and waits for the
read_piece_alert carrying that piece's data; the time from the call to the alert is the measurement
(perf_counter, in this process). A piece already present is reported as skipped (not cold). Between
measurements it sleeps --settle seconds so in-flight requests of the previous seek drain.
Settings: uTP off (TCP), no DHT / LSD / UPnP / NAT-PMP, allow_multiple_connections_per_ip.

stdout: JSON lines, each with "event":
  ready    {port, pieceLength, pieces, connectSeconds}
  seek     {offset, piece, ms}          one cold measurement
  skipped  {offset, piece}              the piece was already there
  error    {message}
  exit     {}
"""
import argparse
import json
import sys
import time

import libtorrent as lt


def emit(event, **fields):
    sys.stdout.write(json.dumps({'event': event, **fields}) + '\n')
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--torrent', required=True)
    ap.add_argument('--save', required=True)
    ap.add_argument('--peer', required=True)
    ap.add_argument('--offsets', required=True)
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--settle', type=float, default=0.3)
    args = ap.parse_args()
    host, _, port = args.peer.rpartition(':')
    offsets = [int(x) for x in args.offsets.split(',') if x]

    ses = lt.session({
        'listen_interfaces': '%s:0' % args.host,
        'enable_outgoing_utp': False,
        'enable_incoming_utp': False,
        'allow_multiple_connections_per_ip': True,
        # A leech with every file at priority 0 is 'finished'; keep its connection to the seed anyway.
        'close_redundant_connections': False,
        'enable_dht': False,
        'enable_lsd': False,
        'enable_upnp': False,
        'enable_natpmp': False,
        'alert_mask': lt.alert.category_t.error_notification | lt.alert.category_t.status_notification
        | lt.alert.category_t.storage_notification,
    })
    ti = lt.torrent_info(args.torrent)
    atp = lt.add_torrent_params()
    atp.ti = ti
    atp.save_path = args.save
    atp.file_priorities = [0] * ti.num_files()
    atp.flags &= ~lt.torrent_flags.auto_managed
    atp.flags &= ~lt.torrent_flags.paused
    h = ses.add_torrent(atp)

    t0 = time.perf_counter()
    deadline = t0 + 30
    while True:
        if time.perf_counter() > deadline:
            emit('error', message='the peer did not connect within 30 s')
            return 1
        st = h.status()
        if st.state in (lt.torrent_status.downloading, lt.torrent_status.finished, lt.torrent_status.seeding):
            h.connect_peer((host.strip('[]'), int(port)))
            peers = [p for p in h.get_peer_info() if sum(1 for b in p.pieces if b) > 0]
            if peers:
                break
        ses.wait_for_alert(50)
        ses.pop_alerts()
    emit('ready', port=ses.listen_port(), pieceLength=ti.piece_length(), pieces=ti.num_pieces(),
         connectSeconds=time.perf_counter() - t0)

    for off in offsets:
        piece = off // ti.piece_length()
        if h.have_piece(piece):
            emit('skipped', offset=off, piece=piece)
            continue
        start = time.perf_counter()
        h.set_piece_deadline(piece, 0, lt.deadline_flags_t.alert_when_available)
        got = None
        while got is None:
            if time.perf_counter() - start > 60:
                emit('error', message='piece %d did not arrive within 60 s' % piece)
                return 1
            ses.wait_for_alert(100)
            for a in ses.pop_alerts():
                if isinstance(a, lt.read_piece_alert) and int(a.piece) == piece:
                    if a.error.value() != 0:
                        emit('error', message='read_piece failed: %s' % a.error.message())
                        return 1
                    got = time.perf_counter() - start
        emit('seek', offset=off, piece=piece, ms=got * 1000)
        time.sleep(args.settle)
    emit('exit')
    return 0


if __name__ == '__main__':
    sys.exit(main())
