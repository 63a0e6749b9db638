/**
 * Escaping for text that came from a torrent or a magnet link (names, paths, comments, tracker URLs) before
 * it reaches a terminal (HOSTILE-INPUTS case 35). A hostile name could otherwise move the cursor, rewrite
 * earlier lines, set the window title or reorder text with bidi overrides.
 *
 * Escaped: C0 controls (incl. ESC, CR, LF, TAB), DEL, C1 controls, bidi embedding / override / isolate marks,
 * the line and paragraph separators, lone surrogates, and the backslash itself (so every escape is
 * unambiguous). Everything else, including ordinary non-ASCII text, is kept.
 */

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function mustEscape(c: number): boolean {
  return (
    c < 0x20 ||
    (c >= 0x7f && c <= 0x9f) ||
    c === 0x061c ||
    c === 0x200e ||
    c === 0x200f ||
    (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2066 && c <= 0x2069) ||
    c === 0x2028 ||
    c === 0x2029
  );
}

/** Returns `text` with terminal-unsafe characters written as `\xNN` / `\u{NNNN}` and `\` as `\\`. */
export function escapeTerminal(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += text[i]! + text[i + 1]!;
        i++;
        continue;
      }
      out += `\\u{${hex(c, 4)}}`;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      out += `\\u{${hex(c, 4)}}`;
    } else if (c === 0x5c) {
      out += '\\\\';
    } else if (mustEscape(c)) {
      out += c <= 0xff ? `\\x${hex(c, 2)}` : `\\u{${hex(c, 4)}}`;
    } else {
      out += text[i]!;
    }
  }
  return out;
}
