/**
 * Per-post coalescing windows (docs/coalescing.md), as one pure decision over what the post's window doc
 * holds. A comment's membership is decided by its own `createdAt` (the request time), never by when its
 * trigger runs, so retries and late triggers land in the same window as the comment itself.
 *
 * A window covers the comments with `after < createdAt <= closesAt`. It is opened by the first comment
 * after the newest window's end (its "opener", pushed at once, `windowId` = the opener's comment id) and
 * covers back to the newest window's end, or one window length before the opener, whichever is later:
 * a comment written just before the opener whose trigger ran after it is folded into the opener's
 * window rather than pushed a second time. The doc keeps the newest `MAX_WINDOWS_KEPT` windows so that a
 * late trigger still finds its own.
 */

/** Times are milliseconds since the epoch. */
export type PushWindow = { windowId: string; after: number; opensAt: number; closesAt: number };

export const MAX_WINDOWS_KEPT = 20;

export type WindowDecision =
  /** Coalescing is off: fan out as always. */
  | { kind: "off" }
  /** This comment opened a window (a retried run): fan out, the delivery gate keeps it to once. */
  | { kind: "opener" }
  /** No window covers the comment and it is newer than every window: open `window`, then fan out. */
  | { kind: "open"; window: PushWindow }
  /** Inside `window`: folded into its digest. */
  | { kind: "coalesced"; window: PushWindow }
  /** Between two kept windows (a trigger late past a window it was not in): fan out, open nothing. */
  | { kind: "unwindowed" }
  /** Older than every kept window: it may have been counted by a forgotten digest, so nothing is sent. */
  | { kind: "too-late" };

/**
 * What a comment does, given the post's kept windows (newest first), the comment, and the window length
 * (0: off).
 */
export function decideWindow(
  windows: readonly PushWindow[],
  comment: { commentId: string; createdAt: number },
  windowMs: number,
): WindowDecision {
  if (windowMs <= 0) return { kind: "off" };
  const { commentId, createdAt } = comment;
  if (windows.some((window) => window.windowId === commentId)) return { kind: "opener" };
  const newest = windows[0];
  if (newest === undefined || createdAt > newest.closesAt) {
    const after = Math.max(newest?.closesAt ?? -Infinity, createdAt - windowMs);
    return {
      kind: "open",
      window: { windowId: commentId, after, opensAt: createdAt, closesAt: createdAt + windowMs },
    };
  }
  const home = windows.find((window) => window.after < createdAt && createdAt <= window.closesAt);
  if (home) return { kind: "coalesced", window: home };
  const oldest = windows[windows.length - 1] ?? newest;
  return createdAt > oldest.after ? { kind: "unwindowed" } : { kind: "too-late" };
}

/** The kept windows once `opened` is added: newest first, at most `MAX_WINDOWS_KEPT`. */
export function withWindow(windows: readonly PushWindow[], opened: PushWindow): PushWindow[] {
  return [opened, ...windows].slice(0, MAX_WINDOWS_KEPT);
}
