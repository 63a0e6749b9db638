/**
 * get_peers / announce_peer tokens (BEP 5). A token is the first 8 bytes of SHA-1(secret ‖ IP), so
 * it is bound to the asker's IP and needs no per-asker state. The secret rotates every 5 minutes
 * and the previous secret is still accepted, so a token lives 5–10 minutes.
 */
import { sha1 } from '#platform/sha';
import { parseIP } from '../net/ip.js';
import { randomBytes } from './node-id.js';

/** Length of the tokens we hand out. */
export const TOKEN_LENGTH = 8;

/** Issues and checks tokens. */
export class TokenManager {
  private current = randomBytes(16);
  private previous = randomBytes(16);

  /** Replaces the secret (call every 5 minutes); the old one stays valid for one more period. */
  rotate(): void {
    this.previous = this.current;
    this.current = randomBytes(16);
  }

  /** The token for `host`. */
  async issue(host: string): Promise<Uint8Array> {
    return this.make(this.current, host);
  }

  /** True when `token` was issued to `host` under the current or previous secret. */
  async verify(token: Uint8Array, host: string): Promise<boolean> {
    if (token.length !== TOKEN_LENGTH) return false;
    const prev = this.previous;
    if (equal(await this.make(this.current, host), token)) return true;
    return equal(await this.make(prev, host), token);
  }

  private async make(secret: Uint8Array, host: string): Promise<Uint8Array> {
    const ip = parseIP(host) ?? new TextEncoder().encode(host);
    const buf = new Uint8Array(secret.length + ip.length);
    buf.set(secret, 0);
    buf.set(ip, secret.length);
    return (await sha1(buf)).slice(0, TOKEN_LENGTH);
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return d === 0;
}
