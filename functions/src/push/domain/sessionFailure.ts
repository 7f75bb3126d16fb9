/**
 * A `sendEach` that failed as a session: firebase-admin's default transport sends a batch over one HTTP/2
 * connection, and when that connection ends early (a GOAWAY, a reset, a refused connection) `sendEach`
 * rejects as a whole instead of answering per message. The per-message answers still exist:
 *
 * - firebase-admin 13 rejects with a `FirebaseMessagingSessionError` (`code` "messaging/app/network-error")
 *   whose `pendingBatchResponse` promises the usual `BatchResponse`: the accepted messages as successes, FCM's
 *   rejections as usual, and the messages the connection lost as `app/network-error`, e.g. "Stream closed
 *   with error code NGHTTP2_REFUSED_STREAM" (above a GOAWAY's last stream: never processed) or "The session
 *   has been destroyed" (in flight or not yet written when the connection died: unknowable);
 *   `pendingBatchResponse` is undefined when the session failed before a single request was made.
 * - firebase-admin 14 (firebase-admin-node#3126) no longer rejects: each lost message is answered
 *   `messaging/unknown-error` with the transport error as `cause`, which `classifyFcmError` reads.
 *
 * So a rejected `sendEach` becomes per-message answers again, and each goes through `classifyFcmError` like
 * any other answer (classify.ts). Pure: the error is read by its shape, nothing from firebase is imported.
 */
import type { SendAnswer } from "./deliver";

type SessionFailure = {
  code: string;
  message: string;
  pendingBatchResponse: PromiseLike<{ responses: SendAnswer[] }> | undefined;
};

/**
 * How long a failed session's per-message answers are waited for. firebase-admin settles them when every
 * stream of the batch has ended; a stream that never ends (a connection that died without a word) would
 * hold the delivery forever, so past this the batch's unanswered messages count as lost in flight.
 */
export const SESSION_ANSWERS_TIMEOUT_MS = 20_000;

/** The mark `classifyFcmError` reads as "never written": nothing of the batch reached a connection. */
export const BEFORE_ANY_STREAM = "the session failed before any stream was opened";

export function isSessionFailure(error: unknown): error is SessionFailure {
  if (typeof error !== "object" || error === null || !("pendingBatchResponse" in error)) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === "messaging/app/network-error" && typeof message === "string";
}

/**
 * The per-message answers of a batch of `count` messages whose `sendEach` rejected with `error`, or
 * undefined when it is no session failure (or its answers cannot be read) and the round fails as before.
 */
export async function answersOfSessionFailure(
  error: unknown,
  count: number,
): Promise<SendAnswer[] | undefined> {
  if (!isSessionFailure(error)) return undefined;
  if (error.pendingBatchResponse === undefined) {
    const lost: SendAnswer = {
      success: false,
      error: { code: "app/network-error", message: `${error.message} (${BEFORE_ANY_STREAM})` },
    };
    return Array.from({ length: count }, () => lost);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timed-out">((resolve) => {
    timer = setTimeout(() => resolve("timed-out"), SESSION_ANSWERS_TIMEOUT_MS);
  });
  try {
    const answered = await Promise.race([Promise.resolve(error.pendingBatchResponse), timedOut]);
    if (answered === "timed-out") {
      // In flight when the connection died, as far as anyone can tell: ambiguous (classify.ts).
      const lost: SendAnswer = {
        success: false,
        error: { code: "app/network-error", message: `${error.message} (The session has been destroyed)` },
      };
      return Array.from({ length: count }, () => lost);
    }
    const { responses } = answered;
    return Array.isArray(responses) && responses.length === count ? responses : undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
