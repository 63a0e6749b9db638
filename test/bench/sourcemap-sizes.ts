// Attributes every byte of a generated file to the source module its sourcemap names (by decoding the
// VLQ mappings: a segment owns the bytes up to the next segment on its line). Used by bundle-size.bench.ts
// to list what the minified bundle is made of.

interface SourceMapJson {
  sources: string[];
  mappings: string;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decodeSegment(seg: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of seg) {
    const digit = B64.indexOf(ch);
    if (digit < 0) throw new Error(`bad base64 VLQ character ${ch}`);
    value += (digit & 31) * 2 ** shift;
    if ((digit & 32) !== 0) {
      shift += 5;
    } else {
      out.push(value % 2 === 1 ? -Math.floor(value / 2) : value / 2);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

/** Bytes of `code` per source path (minified bytes, not source bytes); unmapped bytes under '(unmapped)'. */
export function bytesPerSource(code: string, map: SourceMapJson): Map<string, number> {
  const lines = code.split('\n');
  const per = new Map<string, number>();
  const add = (key: string, n: number): void => {
    per.set(key, (per.get(key) ?? 0) + n);
  };
  let source = 0;
  map.mappings.split(';').forEach((line, li) => {
    const lineLength = (lines[li] ?? '').length + (li < lines.length - 1 ? 1 : 0);
    let col = 0;
    const segs: Array<{ col: number; source: number | undefined }> = [];
    for (const seg of line.split(',')) {
      if (seg === '') continue;
      const v = decodeSegment(seg);
      col += v[0] ?? 0;
      if (v.length > 1) source += v[1] ?? 0;
      segs.push({ col, source: v.length > 1 ? source : undefined });
    }
    if (segs.length === 0 || (segs[0]?.col ?? 0) > 0) add('(unmapped)', segs[0]?.col ?? lineLength);
    segs.forEach((s, i) => {
      const end = segs[i + 1]?.col ?? lineLength;
      add(s.source === undefined ? '(unmapped)' : (map.sources[s.source] ?? '(unknown)'), end - s.col);
    });
  });
  return per;
}
