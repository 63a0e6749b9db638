/**
 * The piece map: one cell per piece of the selected torrent, in a grid that fills the canvas;
 * verified pieces blue, missing ones dark. `pieces` is the status bitfield (piece 0 = high bit of byte 0).
 */

/** Draws `count` pieces of `bits` on `canvas`. */
export function drawPieceMap(canvas: HTMLCanvasElement, bits: Uint8Array | undefined, count: number): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const { width, height } = canvas;
  ctx.fillStyle = '#0d0f12';
  ctx.fillRect(0, 0, width, height);
  if (bits === undefined || count <= 0) return;
  // Columns so that cells are about square: cols × rows ≥ count, cols / rows ≈ width / height.
  const cols = Math.max(1, Math.ceil(Math.sqrt((count * width) / height)));
  const rows = Math.ceil(count / cols);
  const cw = width / cols;
  const ch = height / rows;
  const gap = cw > 4 && ch > 4 ? 1 : 0;
  for (let i = 0; i < count; i++) {
    const have = ((bits[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0;
    ctx.fillStyle = have ? '#4fb3ff' : '#2a313a';
    ctx.fillRect((i % cols) * cw, Math.floor(i / cols) * ch, cw - gap, ch - gap);
  }
}
