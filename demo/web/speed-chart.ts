/**
 * The speed chart: total download and upload payload rates, one sample a second, the last 60 seconds,
 * drawn as two lines scaled to the largest sample shown.
 */
import { formatRate } from './format.js';

/** Keeps the last `size` samples of down / up rates. */
export class SpeedHistory {
  readonly down: number[] = [];
  readonly up: number[] = [];
  constructor(readonly size = 60) {}

  /** Adds one sample (bytes per second), dropping the oldest past `size`. */
  push(down: number, up: number): void {
    this.down.push(down);
    this.up.push(up);
    if (this.down.length > this.size) this.down.shift();
    if (this.up.length > this.size) this.up.shift();
  }
}

/** Draws `h` on `canvas`. */
export function drawSpeedChart(canvas: HTMLCanvasElement, h: SpeedHistory): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const { width, height } = canvas;
  ctx.fillStyle = '#0d0f12';
  ctx.fillRect(0, 0, width, height);
  const top = 16;
  const max = Math.max(1024, ...h.down, ...h.up);
  ctx.strokeStyle = '#2c333c';
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = top + ((height - top - 1) * i) / 4;
    ctx.beginPath();
    ctx.moveTo(0, y);
    ctx.lineTo(width, y);
    ctx.stroke();
  }
  const line = (values: readonly number[], color: string): void => {
    if (values.length === 0) return;
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    values.forEach((v, i) => {
      // The newest sample sits at the right edge.
      const x = width - 1 - ((values.length - 1 - i) * (width - 1)) / (h.size - 1);
      const y = height - 1 - (v / max) * (height - top - 1);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  };
  line(h.down, '#4fb3ff');
  line(h.up, '#7bd88f');
  ctx.fillStyle = '#9fb3c8';
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillText(`max ${formatRate(max)}   now ↓ ${formatRate(h.down.at(-1) ?? 0)}  ↑ ${formatRate(h.up.at(-1) ?? 0)}`, 4, 12);
}
