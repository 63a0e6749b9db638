#!/usr/bin/python3
"""A python3-libtorrent DHT node on loopback, driven over stdin/stdout JSON lines (test/interop/dht.test.ts).

Commands (one JSON object a line) and replies (one JSON object a line):
  {"cmd":"start"}                               -> {"ok":true,"port":P,"id":HEX}
  {"cmd":"add_node","host":H,"port":P}          -> {"ok":true}
  {"cmd":"announce","ih":HEX,"dir":D}           -> {"ok":true,"port":P}
      (adds a metadata-less torrent for HEX saving into D, so libtorrent announces it to the DHT on its
      listen port P: Debian's 2.0.8 bindings cannot call session.dht_announce, whose flags type is not
      exported to Python)
  {"cmd":"get_peers","ih":HEX,"timeout":S}      -> {"ok":true,"peers":[[ip,port],...]}   (until a reply with peers or timeout)
  {"cmd":"status"}                              -> {"ok":true,"nodes":N}
  {"cmd":"quit"}                                -> {"ok":true} then exit
Errors -> {"ok":false,"error":TEXT}.
"""
import json
import sys
import time
import warnings

warnings.simplefilter("ignore", DeprecationWarning)

import libtorrent as lt

ses = None


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def start():
    global ses
    settings = {
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": True,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "dht_bootstrap_nodes": "",
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "dht_enforce_node_id": False,
        "dht_ignore_dark_internet": False,
        "dht_prefer_verified_node_ids": False,
        "alert_mask": lt.alert.category_t.all_categories,
    }
    ses = lt.session(settings)
    deadline = time.time() + 10
    while ses.listen_port() == 0 and time.time() < deadline:
        time.sleep(0.05)
    return {"ok": True, "port": ses.listen_port()}


def get_peers(ih_hex, timeout):
    ih = lt.sha1_hash(bytes.fromhex(ih_hex))
    ses.dht_get_peers(ih)
    peers = set()
    deadline = time.time() + timeout
    while time.time() < deadline:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if isinstance(a, lt.dht_get_peers_reply_alert) and str(a.info_hash) == ih_hex:
                for p in a.peers():
                    peers.add((p[0], p[1]))
        if peers:
            break
    return {"ok": True, "peers": sorted([list(p) for p in peers])}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            msg = json.loads(line)
            cmd = msg.get("cmd")
            if cmd == "start":
                reply(start())
            elif cmd == "add_node":
                ses.add_dht_node((msg["host"], int(msg["port"])))
                reply({"ok": True})
            elif cmd == "announce":
                atp = lt.add_torrent_params()
                atp.info_hashes = lt.info_hash_t(lt.sha1_hash(bytes.fromhex(msg["ih"])))
                atp.save_path = msg["dir"]
                ses.add_torrent(atp)
                reply({"ok": True, "port": ses.listen_port()})
            elif cmd == "get_peers":
                reply(get_peers(msg["ih"], float(msg.get("timeout", 10))))
            elif cmd == "status":
                reply({"ok": True, "nodes": ses.status().dht_nodes})
            elif cmd == "quit":
                reply({"ok": True})
                break
            else:
                reply({"ok": False, "error": "unknown command"})
            if ses is not None:
                ses.pop_alerts()
        except Exception as e:  # report, keep serving
            reply({"ok": False, "error": repr(e)})


if __name__ == "__main__":
    main()
