/**
 * Sending composed messages and learning from FCM's answers (docs/api.md, "FCM outcomes"), with the sender,
 * clock, sleep and randomness passed in.
 *
 * - Messages go out in `sendEach` batches of at most `batchSize` (≤ 500), at most `concurrency` batches
 *   in flight. A batch's retries run inside its own slot.
 * - Every answer goes through `classifyFcmError`. Only the messages whose latest answer was retryable are
 *   sent again (a message FCM accepted is never re-sent), on the rounds `planRetry` allows; when the
 *   attempts or the time budget run out they are counted `failed`.
 * - Mass-deletion guard: `mismatched-credential` answers (SENDER_ID_MISMATCH or PERMISSION_DENIED) are
 *   counted per batch and over the whole delivery. When any batch, or the whole delivery, of at least
 *   `guard.minMessages` messages has more than `guard.share` of its messages answered so, the server's
 *   configuration is the likely cause: no token anywhere in the delivery is rejected for a sender-id
 *   mismatch (those count `failed`, reason "mismatch-guarded") and `massRejectionGuardTripped` tells the
 *   caller to fail the delivery loudly. The decision is taken after every batch has answered, so batches
 *   in flight at the same time cannot mark tokens before it. UNREGISTERED and invalid-token rejections
 *   stand either way (FCM accepted our credentials to say so). A lone mismatch among valid answers is
 *   still rejected.
 * - Ambiguous network errors (no answer, and the request may have reached FCM: a reset or timeout after it
 *   was sent) are sent again only when the messages are `collapseSafe`: a second copy replaces the first on
 *   the device instead of adding to it (compose.ts sets the collapse keys; docs/delivery.md, "Duplicates").
 *   Otherwise they count `failed` ("network"), since a possible duplicate is worse than a missed push.
 * - A `sendEach` that throws (firebase-admin does so only for an invalid batch or a broken HTTP/2 session,
 *   where some messages may have gone out) fails that round's messages without retrying them: a possible
 *   duplicate push is worse than a missed one here.
 */
import { chunk, FCM_MAX_BATCH, mapWithConcurrency } from "../../shared/batches";
import type { FailReason, FcmError, RejectReason, RetryReason } from "./classify";
import { assertRetryPolicy, defaultRetryPolicy, type RetryPolicy } from "./retryPolicy";
import { deliverBatch, type Settled } from "./sendRounds";

export type DeliveryMessage<M> = { deviceId: string; message: M };

/** One answer of `sendEach`, as firebase-admin's `SendResponse`; `retryAfterMs` only if the sender knows it. */
export type SendAnswer = { success: boolean; error?: FcmError & { retryAfterMs?: number } };

/** firebase-admin's `Messaging` fits as is: `{ sendEach: (m) => getMessaging(app).sendEach(m) }`. */
export type PushSender<M> = { sendEach(messages: M[]): Promise<{ responses: SendAnswer[] }> };

export type MassRejectionGuard = {
  /** Batches (and deliveries) smaller than this are too small to tell a broken config from foreign tokens. */
  minMessages: number;
  /** Trips when more than this share of the messages were answered `mismatched-credential`. */
  share: number;
};

export const defaultMassRejectionGuard: MassRejectionGuard = { minMessages: 10, share: 0.5 };
export const defaultDeliveryConcurrency = 2;

export type DeliveryOptions<M> = {
  messages: readonly DeliveryMessage<M>[];
  sender: PushSender<M>;
  sleep: (ms: number) => Promise<void>;
  /** Uniform in [0, 1). */
  random: () => number;
  /** Milliseconds; only differences are used. */
  now: () => number;
  policy?: RetryPolicy;
  concurrency?: number;
  batchSize?: number;
  guard?: MassRejectionGuard;
  /** A duplicate of a message replaces it on the device (collapse keys): ambiguous errors may be retried. */
  collapseSafe?: boolean;
};

export type FailureReason = FailReason | RetryReason | "mismatch-guarded" | "send-error";

export type RejectedDevice = { deviceId: string; reason: RejectReason; code: string };

export type DeliveryReport = {
  sent: number;
  failed: number;
  /** Tokens to mark `rejected`; already cleared of guarded mismatches. */
  rejected: RejectedDevice[];
  /** Messages sent again (a message sent three times counts 2). */
  retries: number;
  /** Failed messages by reason, each with the first error seen, for an error log. Never holds a token. */
  failures: Partial<Record<FailureReason, { count: number; example: string }>>;
  massRejectionGuardTripped: boolean;
};

export async function deliverMessages<M>(options: DeliveryOptions<M>): Promise<DeliveryReport> {
  const policy = options.policy ?? defaultRetryPolicy;
  const guard = options.guard ?? defaultMassRejectionGuard;
  const batchSize = options.batchSize ?? FCM_MAX_BATCH;
  const concurrency = options.concurrency ?? defaultDeliveryConcurrency;
  assertRetryPolicy(policy);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > FCM_MAX_BATCH) {
    throw new RangeError(`batchSize must be a whole number in 1..${FCM_MAX_BATCH}, got ${batchSize}`);
  }

  const startedAt = options.now();
  const batches = await mapWithConcurrency(chunk(options.messages, batchSize), concurrency, (batch) =>
    deliverBatch(batch, options, policy, startedAt),
  );

  const total = options.messages.length;
  const totalMismatches = batches.reduce((n, b) => n + b.mismatches, 0);
  const tripped =
    tooManyMismatches(totalMismatches, total, guard) ||
    batches.some((b) => tooManyMismatches(b.mismatches, b.settled.length, guard));

  const report: DeliveryReport = {
    sent: 0,
    failed: 0,
    rejected: [],
    retries: batches.reduce((n, b) => n + b.retries, 0),
    failures: {},
    massRejectionGuardTripped: tripped,
  };
  for (const batch of batches) {
    for (const s of batch.settled) {
      const outcome: Settled =
        tripped && s.kind === "rejected" && s.reason === "sender-id-mismatch"
          ? { deviceId: s.deviceId, kind: "failed", reason: "mismatch-guarded", detail: s.detail }
          : s;
      switch (outcome.kind) {
        case "sent":
          report.sent++;
          break;
        case "rejected":
          report.rejected.push({ deviceId: outcome.deviceId, reason: outcome.reason, code: outcome.code });
          break;
        case "failed": {
          report.failed++;
          const entry = report.failures[outcome.reason];
          if (entry) entry.count++;
          else report.failures[outcome.reason] = { count: 1, example: outcome.detail };
          break;
        }
      }
    }
  }
  return report;
}

function tooManyMismatches(mismatches: number, messages: number, guard: MassRejectionGuard): boolean {
  return messages >= guard.minMessages && mismatches > guard.share * messages;
}
