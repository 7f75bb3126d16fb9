/**
 * What an FCM answer means for the token and for the send (docs/api.md, "FCM outcomes"), as one pure
 * classifier over firebase-admin 13's per-message `SendResponse.error` ({ code, message }).
 *
 * What firebase-admin gives (node_modules/firebase-admin/lib/utils/error.js, messaging-errors-internal.js):
 * the FCM v1 `errorCode` (or `status`) is mapped to a client code, and FCM's own `error.message` is kept
 * as the message. So several FCM errors share one code and only the message tells them apart:
 * - 400 INVALID_ARGUMENT → `messaging/invalid-argument`, for a bad token ("The registration token is not
 *   a valid FCM registration token") and for a bad payload alike;
 * - 403 SENDER_ID_MISMATCH ("SenderId mismatch") and 403 PERMISSION_DENIED (the server's own
 *   credentials) → both `messaging/mismatched-credential`.
 * Transport failures are `app/network-error` ("... Error code: ECONNRESET") or `app/network-timeout`,
 * thrown after firebase-admin's own retries, and reported per message by `sendEach`; over HTTP/2 also the
 * streams a connection lost (sessionFailure.ts): refused by a GOAWAY ("NGHTTP2_REFUSED_STREAM": never
 * processed, safe to send again), or lost in flight ("The session has been destroyed": ambiguous).
 * firebase-admin 14 reports those as `messaging/unknown-error` with the transport error as `cause`.
 */
import { BEFORE_ANY_STREAM } from "./sessionFailure";

export type FcmError = { code: string; message: string; cause?: unknown };

/** Why a token is marked `rejected` (never sent to again). */
export type RejectReason = "unregistered" | "invalid-token" | "sender-id-mismatch";
/** Why a send may succeed later. */
export type RetryReason = "rate-limited" | "internal" | "unavailable" | "network";
/** Why a send failed for good without touching the token. */
export type FailReason = "invalid-payload" | "permission-denied" | "third-party-auth" | "unknown";

export type FcmOutcome =
  | { kind: "sent" }
  | { kind: "rejected"; reason: RejectReason; detail: string }
  | {
      kind: "retryable";
      reason: RetryReason;
      /** firebase-admin already retried this one itself (503, ECONNRESET, ETIMEDOUT: up to 4 times). */
      retriedBySdk: boolean;
      /**
       * No answer came back, and the request may have reached FCM (a reset or a timeout after it was sent):
       * the message may have been delivered. Sent again only when it is collapse-safe (deliver.ts).
       */
      ambiguous?: boolean;
      detail: string;
    }
  | { kind: "failed"; reason: FailReason; detail: string };

const TOKEN_MESSAGE = /not a valid FCM registration token|invalid registration token/i;
const SENDER_ID_MISMATCH_MESSAGE = /sender ?id mismatch/i;
/** Connection errors firebase-admin's HTTP client retries itself (its `ioErrorCodes`). */
const SDK_RETRIED_IO = /\b(ECONNRESET|ETIMEDOUT)\b/;
/**
 * Errors that mean the request was never processed: no connection was made (refused, DNS, TLS), the
 * server refused the stream (above a GOAWAY's last stream id), or no stream was ever opened.
 */
const NEVER_SENT_IO = new RegExp(
  `\\b(ECONNREFUSED|EAI_AGAIN|ENOTFOUND|NGHTTP2_REFUSED_STREAM|ERR_TLS_\\w+|CERT_\\w+)\\b|${BEFORE_ANY_STREAM}`,
);

/** `undefined` (no error) is a success. */
export function classifyFcmError(error: FcmError | undefined): FcmOutcome {
  if (error === undefined) return { kind: "sent" };
  const detail = `${error.code}: ${error.message}`;
  switch (error.code) {
    case "messaging/registration-token-not-registered":
      return { kind: "rejected", reason: "unregistered", detail };
    // Legacy-API code; FCM v1 reports bad tokens as invalid-argument, but the meaning is the same.
    case "messaging/invalid-registration-token":
      return { kind: "rejected", reason: "invalid-token", detail };
    case "messaging/invalid-argument":
      return TOKEN_MESSAGE.test(error.message)
        ? { kind: "rejected", reason: "invalid-token", detail }
        : { kind: "failed", reason: "invalid-payload", detail };
    case "messaging/mismatched-credential":
      return SENDER_ID_MISMATCH_MESSAGE.test(error.message)
        ? { kind: "rejected", reason: "sender-id-mismatch", detail }
        : { kind: "failed", reason: "permission-denied", detail };
    // firebase-admin's own validation of a message before sending it.
    case "messaging/invalid-payload":
    case "messaging/payload-size-limit-exceeded":
    case "messaging/invalid-data-payload-key":
    case "messaging/invalid-options":
    case "messaging/invalid-package-name":
      return { kind: "failed", reason: "invalid-payload", detail };
    case "messaging/message-rate-exceeded":
    case "messaging/device-message-rate-exceeded":
      return { kind: "retryable", reason: "rate-limited", retriedBySdk: false, detail };
    case "messaging/internal-error":
      return { kind: "retryable", reason: "internal", retriedBySdk: false, detail };
    case "messaging/server-unavailable":
      return { kind: "retryable", reason: "unavailable", retriedBySdk: true, detail };
    case "app/network-timeout":
      return { kind: "retryable", reason: "network", retriedBySdk: true, ambiguous: true, detail };
    case "app/network-error":
      return networkError(error.message, detail);
    // firebase-admin 14: a message its HTTP/2 session lost; the transport error is the `cause`.
    case "messaging/unknown-error":
      return error.cause === undefined
        ? { kind: "failed", reason: "unknown", detail }
        : networkError(causeText(error.cause), `${detail} (cause: ${causeText(error.cause)})`);
    // A raw socket error, from a sender that is not firebase-admin's HTTP client (so nothing retried it).
    case "ECONNRESET":
    case "ETIMEDOUT":
    case "EPIPE":
      return { kind: "retryable", reason: "network", retriedBySdk: false, ambiguous: true, detail };
    // The connection was never made: the request cannot have reached FCM.
    case "ECONNREFUSED":
    case "EAI_AGAIN":
      return { kind: "retryable", reason: "network", retriedBySdk: false, ambiguous: false, detail };
    case "messaging/third-party-auth-error":
      return { kind: "failed", reason: "third-party-auth", detail };
    // A non-JSON 401/403 from FCM, or no access token for the server's own credentials.
    case "messaging/authentication-error":
    case "app/invalid-credential":
      return { kind: "failed", reason: "permission-denied", detail };
    default:
      return { kind: "failed", reason: "unknown", detail };
  }
}

function networkError(text: string, detail: string): FcmOutcome {
  return {
    kind: "retryable",
    reason: "network",
    retriedBySdk: SDK_RETRIED_IO.test(text),
    ambiguous: !NEVER_SENT_IO.test(text),
    detail,
  };
}

function causeText(cause: unknown): string {
  if (typeof cause !== "object" || cause === null) return String(cause);
  const { code, message } = cause as { code?: unknown; message?: unknown };
  return `${typeof message === "string" ? message : ""} ${typeof code === "string" ? code : ""}`.trim();
}
