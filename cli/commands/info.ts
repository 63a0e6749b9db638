/**
 * `swarmkit info <torrent|magnet> [--json]`: what a .torrent file or magnet link describes.
 * Every string from the torrent is escaped before it reaches the terminal (cli/escape.ts); --json output is
 * JSON (escaped by JSON itself).
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isTorrentError, TorrentError } from '../../src/errors.js';
import { toHex } from '../../src/metainfo/info-hash.js';
import type { MagnetLink } from '../../src/metainfo/magnet.js';
import { parseMagnet } from '../../src/metainfo/magnet.js';
import { TorrentInfo } from '../../src/metainfo/torrent-info.js';
import { parseCommandArgs } from '../args.js';
import type { CliIO, Command } from '../command.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { escapeTerminal as esc } from '../escape.js';
import { formatBytes } from '../format.js';
import type { Output } from '../output.js';

/** Largest .torrent file `info` reads (the parser's own default limit). */
const MAX_TORRENT_BYTES = 64 * 1024 * 1024;

const usage = `Usage: swarmkit info <file.torrent | magnet-link> [--json]

Shows a torrent's name, info-hashes (v1 and v2), size, pieces, files, trackers, web seeds, flags,
comment, creator, creation date and magnet link. A magnet link shows what the link itself carries.

Options:
  --json     print one JSON object instead of text
  --debug    print stack traces on errors
  -h, --help show this help`;

/** Reads and parses a .torrent file, refusing huge files before reading them. */
export async function loadTorrent(path: string): Promise<TorrentInfo> {
  const st = await stat(path);
  if (!st.isFile()) throw new TorrentError('torrent_invalid', `${path} is not a file`);
  if (st.size > MAX_TORRENT_BYTES) {
    throw new TorrentError('bdecode_size_limit_exceeded', `${path} is ${st.size} bytes, over the ${MAX_TORRENT_BYTES}-byte limit`);
  }
  const bytes = new Uint8Array(await readFile(path));
  try {
    return await TorrentInfo.fromBytes(bytes);
  } catch (err) {
    if (!isTorrentError(err)) throw err;
    // Same code, but say which file and that it is not a usable torrent.
    throw new TorrentError(err.code, `${path} is not a valid torrent: ${err.message}`, { cause: err, details: err.details });
  }
}

/** The JSON shape of `info --json` for a torrent file. */
export function torrentJson(t: TorrentInfo): Record<string, unknown> {
  return {
    kind: 'torrent',
    name: t.name,
    infoHash: t.id,
    infoHashes: { v1: t.infoHashes.v1 === undefined ? null : toHex(t.infoHashes.v1), v2: t.infoHashes.v2 === undefined ? null : toHex(t.infoHashes.v2) },
    metaVersion: t.metaVersion,
    totalLength: t.totalLength,
    contentLength: contentLength(t),
    pieceLength: t.pieceLength,
    pieceCount: t.pieceCount,
    private: t.isPrivate,
    comment: t.comment ?? null,
    createdBy: t.createdBy ?? null,
    creationDate: t.creationDate ?? null,
    trackers: t.announce,
    webSeeds: t.urlList,
    files: t.files.filter((f) => !f.pad).map((f) => ({
      path: f.path.join('/'),
      length: f.length,
      offset: f.offset,
      ...(f.executable ? { executable: true } : {}),
      ...(f.hidden ? { hidden: true } : {}),
      ...(f.symlink !== undefined ? { symlink: f.symlink.join('/') } : {}),
    })),
    magnet: t.toMagnet(),
  };
}

/** The JSON shape of `info --json` for a magnet link. */
export function magnetJson(m: MagnetLink): Record<string, unknown> {
  const v1 = m.infoHashes.v1;
  const v2 = m.infoHashes.v2;
  return {
    kind: 'magnet',
    name: m.name ?? null,
    infoHash: v1 !== undefined ? toHex(v1) : v2 !== undefined ? toHex(v2.subarray(0, 20)) : null,
    infoHashes: { v1: v1 === undefined ? null : toHex(v1), v2: v2 === undefined ? null : toHex(v2) },
    trackers: m.trackers,
    webSeeds: m.webSeeds,
    peers: m.peers.map((p) => `${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`),
    ...(m.selectOnly !== undefined ? { selectOnly: m.selectOnly } : {}),
  };
}

function printTorrent(out: Output, t: TorrentInfo): void {
  const files = t.files.filter((f) => !f.pad);
  const rows: [string, string][] = [
    ['Name', esc(t.name)],
    ['Info hash v1', t.infoHashes.v1 === undefined ? '-' : toHex(t.infoHashes.v1)],
    ['Info hash v2', t.infoHashes.v2 === undefined ? '-' : toHex(t.infoHashes.v2)],
    ['Version', t.metaVersion],
    ['Size', sizeText(t)],
    ['Pieces', `${t.pieceCount} x ${formatBytes(t.pieceLength)}`],
    ['Private', t.isPrivate ? 'yes' : 'no'],
  ];
  if (t.comment !== undefined) rows.push(['Comment', esc(t.comment)]);
  if (t.createdBy !== undefined) rows.push(['Created by', esc(t.createdBy)]);
  if (t.creationDate !== undefined) rows.push(['Created on', formatDate(t.creationDate)]);
  out.fields(rows);
  out.line(t.announce.length === 0 ? 'Trackers: none' : 'Trackers:');
  t.announce.forEach((tier, i) => out.line(`  tier ${i + 1}: ${tier.map(esc).join(', ')}`));
  out.line(t.urlList.length === 0 ? 'Web seeds: none' : 'Web seeds:');
  for (const u of t.urlList) out.line(`  ${esc(u)}`);
  out.line(`Files (${files.length}):`);
  const width = Math.max(...files.map((f) => formatBytes(f.length).length), 1);
  for (const f of files) {
    const flags = `${f.executable ? ' [x]' : ''}${f.hidden ? ' [h]' : ''}${f.symlink !== undefined ? ` -> ${esc(f.symlink.join('/'))}` : ''}`;
    out.line(`  ${formatBytes(f.length).padStart(width)}  ${esc(f.path.join('/'))}${flags}`);
  }
  out.line(`Magnet: ${esc(t.toMagnet())}`);
}

function printMagnet(out: Output, m: MagnetLink): void {
  const j = magnetJson(m);
  const hashes = j.infoHashes as { v1: string | null; v2: string | null };
  out.fields([
    ['Name', m.name === undefined ? '-' : esc(m.name)],
    ['Info hash v1', hashes.v1 ?? '-'],
    ['Info hash v2', hashes.v2 ?? '-'],
  ]);
  out.line(m.trackers.length === 0 ? 'Trackers: none' : 'Trackers:');
  for (const u of m.trackers) out.line(`  ${esc(u)}`);
  out.line(m.webSeeds.length === 0 ? 'Web seeds: none' : 'Web seeds:');
  for (const u of m.webSeeds) out.line(`  ${esc(u)}`);
  if (m.peers.length > 0) out.line(`Peers: ${(j.peers as string[]).map(esc).join(', ')}`);
  if (m.selectOnly !== undefined) out.line(`Select only: files ${m.selectOnly.join(', ')}`);
  out.line('(a magnet link: size, pieces and files are known once the metadata is fetched)');
}

/** Bytes of real content (pad files excluded). */
function contentLength(t: TorrentInfo): number {
  return t.files.reduce((n, f) => (f.pad ? n : n + f.length), 0);
}

function sizeText(t: TorrentInfo): string {
  const content = contentLength(t);
  const padding = t.totalLength - content;
  return `${formatBytes(content)} (${content} bytes${padding > 0 ? `, plus ${padding} bytes of padding` : ''})`;
}

function formatDate(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  return Number.isNaN(d.getTime()) ? String(unixSeconds) : `${d.toISOString().replace('.000Z', 'Z')} (${unixSeconds})`;
}

export const infoCommand: Command = {
  usage,
  async run(argv: readonly string[], out: Output, io: CliIO): Promise<number> {
    const { positionals } = parseCommandArgs('info', argv, {});
    if (positionals.length !== 1) throw new UsageError('info: expected exactly one .torrent file or magnet link');
    const target = positionals[0]!;
    if (/^magnet:/i.test(target)) {
      const m = parseMagnet(target);
      if (out.json) out.object(magnetJson(m));
      else printMagnet(out, m);
      return EXIT_OK;
    }
    const t = await loadTorrent(resolve(io.cwd, target));
    if (out.json) out.object(torrentJson(t));
    else printTorrent(out, t);
    return EXIT_OK;
  },
};
