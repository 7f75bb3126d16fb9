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
 * late trigger still finds its own, and `forgottenThrough`, the latest end of a window it no longer keeps:
 * only a comment at or before it may have been counted by a digest nobody can look up any more.
 *
 * Times are whole milliseconds, a comment's `createdAt` rounded up (`windowTimeOf`): every bound is a whole
 * millisecond, so deciding on the rounded time and querying a window's comments with full-precision
 * timestamps against those bounds agree (`t > b` exactly when `ceil(t) > b`, for a whole `b`).
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
  /** At or before the end of a forgotten window: its digest may have counted it, so nothing is sent. */
  | { kind: "too-late" };

/** A comment's time as windows compare it: its `createdAt` in milliseconds, rounded up (see above). */
export function windowTimeOf(createdAt: { seconds: number; nanoseconds: number }): number {
  return createdAt.seconds * 1000 + Math.ceil(createdAt.nanoseconds / 1_000_000);
}

/** Whether `comment` is the one that opened `window` (its id and its time: a re-created comment is not). */
export function opened(window: PushWindow, comment: { commentId: string; createdAt: number }): boolean {
  return window.windowId === comment.commentId && window.opensAt === comment.createdAt;
}

/**
 * What a comment does, given the post's kept windows (newest first), the comment, and the window length
 * (0: off).
 */
export function decideWindow(
  windows: readonly PushWindow[],
  comment: { commentId: string; createdAt: number },
  windowMs: number,
  /** The latest end of a window no longer kept (none: -Infinity). */
  forgottenThrough = -Infinity,
): WindowDecision {
  if (windowMs <= 0) return { kind: "off" };
  const { commentId, createdAt } = comment;
  if (windows.some((window) => opened(window, comment))) return { kind: "opener" };
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
  // No kept window covers it, and no forgotten one can have: nobody has been told of it yet.
  return createdAt > forgottenThrough ? { kind: "unwindowed" } : { kind: "too-late" };
}

/** The kept windows once `opened` is added: newest first, at most `MAX_WINDOWS_KEPT`. */
export function withWindow(windows: readonly PushWindow[], opened: PushWindow): PushWindow[] {
  return [opened, ...windows].slice(0, MAX_WINDOWS_KEPT);
}

/** `forgottenThrough` once `opened` is added: the latest end of every window no longer kept. */
export function forgottenThroughAfter(
  windows: readonly PushWindow[],
  opened: PushWindow,
  forgottenThrough = -Infinity,
): number {
  const dropped = [opened, ...windows].slice(MAX_WINDOWS_KEPT);
  return Math.max(forgottenThrough, ...dropped.map((window) => window.closesAt));
}
