/**
 * `swarmkit create <path> -o out.torrent ...`: hashes a file or directory into a .torrent (engineer B's
 * CreateTorrent, libtorrent-compatible output). Hashing progress goes to stderr as a bar (terminal only),
 * or as JSON lines with --json. The output file is written atomically (temp file + rename) and an existing
 * file is never replaced without --force; that check happens before hashing starts.
 */
import { access, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { TorrentError } from '../../src/errors.js';
import { CreateTorrent } from '../../src/metainfo/create-torrent.js';
import type { TorrentVersion } from '../../src/metainfo/create-torrent.js';
import { toHex } from '../../src/metainfo/info-hash.js';
import { TorrentInfo } from '../../src/metainfo/torrent-info.js';
import { parseCommandArgs } from '../args.js';
import type { CliIO, Command } from '../command.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { escapeTerminal as esc } from '../escape.js';
import { formatBytes, parseSize } from '../format.js';
import type { Output } from '../output.js';
import { packageVersion } from '../version.js';

const usage = `Usage: swarmkit create <file-or-directory> [-o out.torrent] [options]

Hashes a file or directory into a .torrent file.

Options:
  -o, --output FILE       where to write (default: <name>.torrent in the current directory)
  --piece-length N        bytes per piece, e.g. 262144, 256K, 4M (default: automatic, as libtorrent)
  --v1 | --v2 | --hybrid  torrent version (default: hybrid, as libtorrent)
  --tracker URL           add a tracker tier; repeat for more tiers; "a,b" puts a and b in one tier
  --web-seed URL          add a BEP 19 web seed; repeatable
  --comment TEXT          set the comment
  --creator TEXT          set "created by" (default: swarmkit/<version>)
  --no-date               leave out the creation date (reproducible output)
  --private               set the private flag (BEP 27)
  --force                 overwrite the output file if it exists
  --json                  JSON lines on stdout: ready, progress, done (or error)
  --debug                 print stack traces on errors
  -h, --help              show this help`;

const options = {
  output: { type: 'string', short: 'o' },
  'piece-length': { type: 'string' },
  v1: { type: 'boolean' },
  v2: { type: 'boolean' },
  hybrid: { type: 'boolean' },
  tracker: { type: 'string', multiple: true },
  'web-seed': { type: 'string', multiple: true },
  comment: { type: 'string' },
  creator: { type: 'string' },
  'no-date': { type: 'boolean' },
  private: { type: 'boolean' },
  force: { type: 'boolean' },
} as const;

const TRACKER_SCHEMES = new Set(['http:', 'https:', 'udp:', 'ws:', 'wss:']);
const WEB_SEED_SCHEMES = new Set(['http:', 'https:']);

function checkUrl(url: string, schemes: Set<string>, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`create: ${what} '${url}' is not a URL`);
  }
  if (!schemes.has(parsed.protocol)) {
    throw new UsageError(`create: ${what} '${url}' must use ${[...schemes].map((s) => s.slice(0, -1)).join(', ')}`);
  }
  return url;
}

/** `--tracker a --tracker b,c` → [["a"], ["b", "c"]]: each flag a tier, commas within a tier. */
export function trackerTiers(values: readonly string[]): string[][] {
  return values.map((v) => {
    const urls = v.split(',').map((u) => u.trim()).filter((u) => u.length > 0);
    if (urls.length === 0) throw new UsageError('create: --tracker needs a URL');
    return urls.map((u) => checkUrl(u, TRACKER_SCHEMES, 'tracker'));
  });
}

function pickVersion(v: { v1?: boolean; v2?: boolean; hybrid?: boolean }): TorrentVersion {
  const chosen = (['v1', 'v2', 'hybrid'] as const).filter((k) => v[k] === true);
  if (chosen.length > 1) throw new UsageError(`create: choose one of --v1, --v2, --hybrid (got ${chosen.map((c) => `--${c}`).join(', ')})`);
  return chosen[0] ?? 'hybrid';
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export const createCommand: Command = {
  usage,
  async run(argv: readonly string[], out: Output, io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs('create', argv, options);
    if (positionals.length !== 1) throw new UsageError('create: expected exactly one file or directory to hash');
    const source = resolve(io.cwd, positionals[0]!);
    const version = pickVersion(values);
    let pieceLength = 0;
    if (values['piece-length'] !== undefined) {
      const n = parseSize(values['piece-length']);
      if (n === undefined || n <= 0) throw new UsageError(`create: --piece-length '${values['piece-length']}' is not a size (e.g. 262144, 256K, 4M)`);
      pieceLength = n;
    }
    const tiers = trackerTiers(values.tracker ?? []);
    const webSeeds = (values['web-seed'] ?? []).map((u) => checkUrl(u, WEB_SEED_SCHEMES, 'web seed'));
    const output = resolve(io.cwd, values.output ?? `${basename(source)}.torrent`);
    if (values.force !== true && (await exists(output))) {
      throw new TorrentError('create_io_error', `${output} already exists (use --force to overwrite)`, { details: { path: output } });
    }

    const ct = new CreateTorrent({
      version,
      pieceLength,
      trackers: tiers,
      webSeeds,
      private: values.private === true,
      creator: values.creator ?? `swarmkit/${packageVersion()}`,
      ...(values.comment !== undefined ? { comment: values.comment } : {}),
      ...(values['no-date'] === true ? { creationDate: null } : {}),
    });
    await ct.addPath(source);
    const layout = ct.layout();
    const fileCount = layout.files.filter((f) => !f.pad).length;
    out.event('ready', {
      name: layout.name,
      files: fileCount,
      totalLength: layout.totalLength,
      pieceLength: layout.pieceLength,
      pieceCount: layout.pieceCount,
      version,
    });
    out.note(`Hashing ${esc(layout.name)}: ${fileCount} file(s), ${formatBytes(layout.totalLength)}, ${layout.pieceCount} x ${formatBytes(layout.pieceLength)} pieces (${version})`);

    const abort = new AbortController();
    const onSigint = (): void => abort.abort();
    process.once('SIGINT', onSigint);
    let bytes: Uint8Array;
    try {
      out.progress(0, layout.pieceCount, { unit: 'pieces' }, 'items');
      bytes = await ct.generate({
        signal: abort.signal,
        onProgress: (done, total) => out.progress(done, total, { unit: 'pieces' }, 'items'),
      });
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
    const info = await TorrentInfo.fromBytes(bytes); // validates our own output and gives the hashes

    const tmp = `${output}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, output);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw new TorrentError('create_io_error', `cannot write ${output}: ${(err as Error).message}`, { cause: err, details: { path: output } });
    }

    const v1 = info.infoHashes.v1 === undefined ? null : toHex(info.infoHashes.v1);
    const v2 = info.infoHashes.v2 === undefined ? null : toHex(info.infoHashes.v2);
    out.event('done', { infoHash: info.id, infoHashes: { v1, v2 }, file: output, name: info.name, magnet: info.toMagnet() });
    out.line(`Created ${esc(output)}`);
    out.fields([
      ['Name', esc(info.name)],
      ['Info hash v1', v1 ?? '-'],
      ['Info hash v2', v2 ?? '-'],
      ['Magnet', esc(info.toMagnet())],
    ]);
    return EXIT_OK;
  },
};
