/**
 * Runs /usr/bin/python3 scripts from test/interop/py/ (Debian's python3-libtorrent is importable only
 * from the system interpreter). Shared by interop tests.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Absolute path of a script in test/interop/py/. */
export function pyScript(name: string): string {
  return fileURLToPath(new URL(`../py/${name}`, import.meta.url));
}

/** Runs a python script with arguments; resolves stdout, rejects with stderr on a non-zero exit. */
export function runPython(script: string, args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', [pyScript(script), ...args], { maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 600_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${script} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** What lt_create.py reports about a torrent, as libtorrent sees it. */
export interface LtTorrentDescription {
  v1: string | null;
  v2: string | null;
  name: string;
  pieceLength: number;
  numPieces: number;
  totalSize: number;
  private: boolean;
  files: Array<{ path: string; size: number; offset: number; pad: boolean; executable: boolean }>;
}

/** Options of lt_create.py's `create` command (see the script). */
export interface LtCreateOptions {
  path: string;
  version: 'v1' | 'v1c' | 'v2' | 'hybrid';
  pieceLength?: number;
  creator?: string;
  comment?: string;
  creationDate?: number;
  private?: boolean;
  trackers?: Array<[string, number]>;
  webSeeds?: string[];
  mtime?: boolean;
}

/** Creates a torrent with python3-libtorrent; returns its bytes and libtorrent's description of it. */
export async function ltCreate(opts: LtCreateOptions, out: string): Promise<{ bytes: Uint8Array; desc: LtTorrentDescription }> {
  const desc = JSON.parse(await runPython('lt_create.py', ['create', JSON.stringify(opts), out])) as LtTorrentDescription;
  return { bytes: new Uint8Array(await readFile(out)), desc };
}

/** libtorrent's description of a .torrent file (parsed by lt.torrent_info). */
export async function ltDescribe(file: string): Promise<LtTorrentDescription> {
  return JSON.parse(await runPython('lt_create.py', ['describe', file])) as LtTorrentDescription;
}
