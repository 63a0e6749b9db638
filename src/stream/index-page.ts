/**
 * The index page of a stream server: torrents and their files as links. Torrent and file names are
 * untrusted (HOSTILE-INPUTS case 35): every one goes through escapeHtml, and URLs are built from
 * percent-encoded path elements, so no name can open a tag, an attribute or a javascript: URL.
 */
import type { StreamFileInfo, StreamTorrentInfo } from './provider.js';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** The URL path of a file: `/<infoHash>/<fileIndex>/<percent-encoded path elements>`. */
export function filePath(infoHash: string, file: Pick<StreamFileInfo, 'index' | 'path'>): string {
  const name = file.path.split('/').map(encodeURIComponent).join('/');
  return `/${infoHash}/${file.index}/${name}`;
}

/** A complete HTML document listing `torrents`. */
export function renderIndexPage(torrents: readonly StreamTorrentInfo[]): string {
  const parts: string[] = [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"><title>swarmkit streams</title></head><body>',
    '<h1>Torrents</h1>',
  ];
  if (torrents.length === 0) parts.push('<p>No torrents.</p>');
  for (const t of torrents) {
    parts.push(`<h2>${escapeHtml(t.name)} <small>${escapeHtml(t.infoHash)}</small></h2>`, '<ul>');
    for (const f of t.files) {
      parts.push(`<li><a href="${escapeHtml(filePath(t.infoHash, f))}">${escapeHtml(f.path)}</a> (${f.length} bytes)</li>`);
    }
    parts.push('</ul>');
  }
  parts.push('</body></html>', '');
  return parts.join('\n');
}
