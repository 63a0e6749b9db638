/**
 * Host-header allow-list against DNS rebinding (HOSTILE-INPUTS case 34). A page on evil.example can make
 * its own name resolve to 127.0.0.1 and then read our responses as same-origin; its requests still
 * carry `Host: evil.example:<port>`, so only names we know are accepted:
 * - `localhost`, `127.0.0.1` and `[::1]`, with the server's port (no port only when the server is on 80);
 * - configured names: `name` (no port, or the server's port — for reverse proxies) or `name:port` exactly.
 * A missing, empty or syntactically odd Host is refused. Names compare case-insensitively.
 */

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];
const HOST_RE = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/;

function normaliseName(name: string): string {
  const n = name.trim().toLowerCase();
  return n.includes(':') && !n.startsWith('[') ? `[${n}]` : n;
}

/** Decides whether a Host header value is acceptable for a server on `port`. */
export class HostAllowList {
  readonly #port: number;
  readonly #names = new Set<string>();
  readonly #exact = new Set<string>();

  constructor(port: number, allowedHosts: readonly string[] = []) {
    this.#port = port;
    for (const raw of allowedHosts) {
      const h = raw.trim().toLowerCase();
      const m = HOST_RE.exec(h);
      if (m?.[2] !== undefined) this.#exact.add(h);
      else this.#names.add(normaliseName(h));
    }
  }

  /** Whether `host` (the request's Host header) may be served. */
  allows(host: string | undefined): boolean {
    if (host === undefined || host.length > 300) return false;
    const h = host.trim().toLowerCase();
    const m = HOST_RE.exec(h);
    if (!m) return false;
    const name = m[1]!;
    const port = m[2] === undefined ? undefined : Number(m[2]);
    if (this.#exact.has(h)) return true;
    if (this.#names.has(name)) return port === undefined || port === this.#port;
    if (LOOPBACK.includes(name)) return port === undefined ? this.#port === 80 : port === this.#port;
    return false;
  }
}
