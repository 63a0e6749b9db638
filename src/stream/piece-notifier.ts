/**
 * PieceNotifier: wakes stream readers when pieces are verified, from the session's `piece_finished`
 * alerts.
 *
 * The session's alert queue has ONE consumer (popAlerts / alerts() take alerts away), so the stream
 * layer must not read it behind the application's back. Two ways to feed a notifier:
 * - the application keeps its alert loop and calls `notifier.feed(alert)` for each alert; or
 * - `notifier.attach(session, onAlert)` takes over the queue through setAlertNotify + popAlerts and hands
 *   every alert on to `onAlert`, so the application still sees them all.
 * `piece_finished` is in the `pieceProgress` category, which the default alert mask leaves out; attach()
 * adds it to the mask. Alerts can also be dropped when the queue overflows, so waiters re-check
 * `havePiece` on a slow timer too (see handle-source.ts): a lost alert delays a reader, never hangs it.
 */
import { alertCategory } from '../session/alert-category.js';
import type { Alert } from '../session/alerts.js';
import type { Session } from '../session/session.js';

/** Wake-ups keyed by torrent id and piece. */
export class PieceNotifier {
  readonly #waiters = new Map<string, Map<number, Set<() => void>>>();

  /** Passes one alert in; `piece_finished` wakes the readers waiting for that piece. */
  feed(alert: Alert): void {
    if (alert.type !== 'piece_finished') return;
    const byPiece = this.#waiters.get(alert.infoHash);
    const set = byPiece?.get(alert.pieceIndex);
    if (!byPiece || !set) return;
    byPiece.delete(alert.pieceIndex);
    if (byPiece.size === 0) this.#waiters.delete(alert.infoHash);
    for (const fn of set) fn();
  }

  /** Registers `fn` to run when piece `piece` of torrent `infoHash` finishes; returns the unregister function. */
  onPiece(infoHash: string, piece: number, fn: () => void): () => void {
    let byPiece = this.#waiters.get(infoHash);
    if (!byPiece) this.#waiters.set(infoHash, (byPiece = new Map()));
    let set = byPiece.get(piece);
    if (!set) byPiece.set(piece, (set = new Set()));
    set.add(fn);
    return () => {
      const bp = this.#waiters.get(infoHash);
      const s = bp?.get(piece);
      if (!bp || !s) return;
      s.delete(fn);
      if (s.size === 0) bp.delete(piece);
      if (bp.size === 0) this.#waiters.delete(infoHash);
    };
  }

  /** Number of registered waiters (for tests and leak checks). */
  get size(): number {
    let n = 0;
    for (const bp of this.#waiters.values()) for (const s of bp.values()) n += s.size;
    return n;
  }

  /**
   * Takes over the session's alert queue: on each notify it pops every alert, feeds it here and hands it
   * to `onAlert`. Adds `pieceProgress` to the alert mask. Returns the detach function (which restores
   * no notify callback; the mask stays).
   */
  attach(session: Session, onAlert?: (a: Alert) => void): () => void {
    const mask = session.getSettings().alertMask;
    if ((mask & alertCategory.pieceProgress) === 0) session.applySettings({ alertMask: mask | alertCategory.pieceProgress });
    const drain = (): void => {
      for (const a of session.popAlerts()) {
        this.feed(a);
        onAlert?.(a);
      }
    };
    session.setAlertNotify(drain);
    drain();
    return () => session.setAlertNotify(undefined);
  }
}
