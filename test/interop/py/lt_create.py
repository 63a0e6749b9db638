#!/usr/bin/python3
"""Create a .torrent with python3-libtorrent, or describe one; used by the interop tests.

usage: lt_create.py create '<json options>' <out.torrent>   -> prints a JSON description
       lt_create.py describe <file.torrent>                  -> prints a JSON description
options: path (file or directory), version ('v1' | 'v1c' | 'v2' | 'hybrid'), pieceLength (0 = auto),
         creator, comment, creationDate, private, trackers [[url, tier]], webSeeds [url], mtime (bool)
"""
import json
import os
import sys

import libtorrent as lt


def describe(ti):
    fs = ti.files()
    ih = ti.info_hashes()
    files = []
    for i in range(fs.num_files()):
        flags = fs.file_flags(i)
        files.append({
            'path': fs.file_path(i),
            'size': fs.file_size(i),
            'offset': fs.file_offset(i),
            'pad': bool(flags & lt.file_storage.flag_pad_file),
            'executable': bool(flags & lt.file_storage.flag_executable),
        })
    return {
        'v1': str(ih.v1) if ih.has_v1() else None,
        'v2': str(ih.v2) if ih.has_v2() else None,
        'name': ti.name(),
        'pieceLength': ti.piece_length(),
        'numPieces': ti.num_pieces(),
        'totalSize': ti.total_size(),
        'private': ti.priv(),
        'files': files,
    }


def create(opts, out):
    flags = {
        'v1': lt.create_torrent.v1_only,
        'v1c': lt.create_torrent.v1_only | lt.create_torrent.canonical_files,
        'v2': lt.create_torrent.v2_only,
        'hybrid': 0,
    }[opts.get('version', 'v1')]
    if opts.get('mtime'):
        flags |= lt.create_torrent.modification_time
    path = os.path.abspath(opts['path'])
    fs = lt.file_storage()
    lt.add_files(fs, path)
    ct = lt.create_torrent(fs, opts.get('pieceLength', 0), flags=flags)
    for url, tier in opts.get('trackers', []):
        ct.add_tracker(url, tier)
    for url in opts.get('webSeeds', []):
        ct.add_url_seed(url)
    if opts.get('comment'):
        ct.set_comment(opts['comment'])
    if opts.get('creator'):
        ct.set_creator(opts['creator'])
    if opts.get('private'):
        ct.set_priv(True)
    lt.set_piece_hashes(ct, os.path.dirname(path))
    entry = ct.generate()
    if 'creationDate' in opts:
        entry[b'creation date'] = opts['creationDate']
    data = lt.bencode(entry)
    with open(out, 'wb') as f:
        f.write(data)
    return describe(lt.torrent_info(lt.bdecode(data)))


if __name__ == '__main__':
    if sys.argv[1] == 'create':
        print(json.dumps(create(json.loads(sys.argv[2]), sys.argv[3])))
    elif sys.argv[1] == 'describe':
        print(json.dumps(describe(lt.torrent_info(sys.argv[2]))))
    else:
        sys.exit('unknown command ' + sys.argv[1])
