/**
 * The torrent table: name, size, progress, state, peers, down/up rates. Rows are rebuilt from the
 * handles' status on every tick; every value goes in through textContent (names come from peers).
 */
import type { TorrentHandle } from '../../entry/browser.js';
import { formatBytes, formatRate } from './format.js';

/** Renders `handles` into `tbody`; a click on a row calls `onSelect` with the handle's id. */
export function renderTorrentList(tbody: HTMLTableSectionElement, handles: readonly TorrentHandle[], selected: string | undefined, onSelect: (id: string) => void): void {
  const rows: HTMLTableRowElement[] = [];
  for (const h of handles) {
    if (!h.isValid()) continue;
    const s = h.status();
    const tr = document.createElement('tr');
    tr.dataset.id = h.id;
    if (h.id === selected) tr.className = 'selected';
    const cell = (text: string, cls?: string): HTMLTableCellElement => {
      const td = document.createElement('td');
      td.textContent = text;
      if (cls !== undefined) td.className = cls;
      tr.append(td);
      return td;
    };
    cell(s.name === '' ? h.id : s.name, 'name');
    cell(s.hasMetadata ? formatBytes(s.totalWanted) : '?');
    const p = cell('');
    const bar = document.createElement('progress');
    bar.max = 1;
    bar.value = s.progress;
    p.append(bar, ` ${(s.progress * 100).toFixed(1)}%`);
    cell(s.errorCode !== undefined ? `error: ${s.error ?? s.errorCode}` : s.state);
    cell(String(s.numPeers));
    cell(formatRate(s.downloadPayloadRate));
    cell(formatRate(s.uploadPayloadRate));
    tr.addEventListener('click', () => onSelect(h.id));
    rows.push(tr);
  }
  tbody.replaceChildren(...rows);
}
