/**
 * Sending composed messages and learning from FCM's answers (CONTRACT "FCM outcomes"), with the sender,
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
 * - A `sendEach` that throws (firebase-admin does so only for an invalid batch or a broken HTTP/2 session,
 *   where some messages may have gone out) fails that round's messages without retrying them: a possible
 *   duplicate push is worse than a missed one here.
 */
import { chunk, FCM_MAX_BATCH, mapWithConcurrency } from "./chunk";
import {
  classifyFcmError,
  type FailReason,
  type FcmError,
  type RejectReason,
  type RetryReason,
} from "./classify";
import {
  assertRetryPolicy,
  attemptLimit,
  defaultRetryPolicy,
  planRetry,
  type RetryPolicy,
} from "./retryPolicy";

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
};

export type FailureReason = FailReason | RetryReason | "mismatch-guarded" | "send-error";

export type RejectedDevice = { deviceId: string; reason: RejectReason; code: string };

export type DeliveryReport = {
  sent: number;
  failed: number;
  /** Tokens to mark `rejected`; already cleared of guarded mismatches. */
  rejected: RejectedDevice[];
  sentDeviceIds: string[];
  /** Messages sent again (a message sent three times counts 2). */
  retries: number;
  /** Failed messages by reason, each with the first error seen, for an error log. Never holds a token. */
  failures: Partial<Record<FailureReason, { count: number; example: string }>>;
  massRejectionGuardTripped: boolean;
};

type Settled =
  | { deviceId: string; kind: "sent" }
  | { deviceId: string; kind: "rejected"; reason: RejectReason; code: string; detail: string }
  | { deviceId: string; kind: "failed"; reason: FailureReason; detail: string };

type BatchResult = { settled: Settled[]; retries: number; mismatches: number };

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
    sentDeviceIds: [],
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
          report.sentDeviceIds.push(outcome.deviceId);
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

async function deliverBatch<M>(
  batch: readonly DeliveryMessage<M>[],
  options: DeliveryOptions<M>,
  policy: RetryPolicy,
  startedAt: number,
): Promise<BatchResult> {
  const settled: Settled[] = [];
  let retries = 0;
  let mismatches = 0;
  let pending = batch;
  let attemptsMade = 0;

  while (pending.length > 0) {
    const answers = await sendRound(options.sender, pending);
    attemptsMade++;
    if (typeof answers === "string") {
      for (const { deviceId } of pending) {
        settled.push({ deviceId, kind: "failed", reason: "send-error", detail: answers });
      }
      break;
    }

    const again: { item: DeliveryMessage<M>; reason: RetryReason; detail: string; retryAfterMs?: number }[] =
      [];
    pending.forEach((item, i) => {
      const answer = answers[i] as SendAnswer;
      const error = answer.success
        ? undefined
        : (answer.error ?? {
            code: "messaging/unknown-error",
            message: "unsuccessful answer without an error",
          });
      const outcome = classifyFcmError(error);
      const { deviceId } = item;
      switch (outcome.kind) {
        case "sent":
          settled.push({ deviceId, kind: "sent" });
          break;
        case "rejected":
          if (outcome.reason === "sender-id-mismatch") mismatches++;
          settled.push({
            deviceId,
            kind: "rejected",
            reason: outcome.reason,
            code: error?.code ?? "",
            detail: outcome.detail,
          });
          break;
        case "failed":
          if (outcome.reason === "permission-denied" && error?.code === "messaging/mismatched-credential")
            mismatches++;
          settled.push({ deviceId, kind: "failed", reason: outcome.reason, detail: outcome.detail });
          break;
        case "retryable":
          if (attemptsMade >= attemptLimit(policy, outcome.retriedBySdk)) {
            settled.push({
              deviceId,
              kind: "failed",
              reason: outcome.reason,
              detail: `${outcome.detail} (gave up after ${attemptsMade} attempts)`,
            });
          } else {
            again.push({
              item,
              reason: outcome.reason,
              detail: outcome.detail,
              retryAfterMs: error?.retryAfterMs,
            });
          }
          break;
      }
    });
    if (again.length === 0) break;

    const retryAfters = again.map((a) => a.retryAfterMs).filter((ms): ms is number => typeof ms === "number");
    const decision = planRetry(
      policy,
      {
        attemptsMade,
        limit: policy.maxAttempts,
        elapsedMs: options.now() - startedAt,
        retryAfterMs: retryAfters.length > 0 ? Math.max(...retryAfters) : undefined,
      },
      options.random,
    );
    if (!decision.retry) {
      for (const a of again) {
        settled.push({
          deviceId: a.item.deviceId,
          kind: "failed",
          reason: a.reason,
          detail: `${a.detail} (retry ${decision.why === "budget" ? "time budget" : "attempts"} exhausted after ${attemptsMade} attempts)`,
        });
      }
      break;
    }
    await options.sleep(decision.delayMs);
    retries += again.length;
    pending = again.map((a) => a.item);
  }
  return { settled, retries, mismatches };
}

/** The answers in message order, or why there are none. */
async function sendRound<M>(
  sender: PushSender<M>,
  items: readonly DeliveryMessage<M>[],
): Promise<SendAnswer[] | string> {
  let responses: SendAnswer[];
  try {
    ({ responses } = await sender.sendEach(items.map((i) => i.message)));
  } catch (error) {
    return `sendEach threw: ${describe(error)}`;
  }
  if (!Array.isArray(responses) || responses.length !== items.length) {
    return `sendEach answered ${Array.isArray(responses) ? responses.length : "no"} responses for ${items.length} messages`;
  }
  return responses;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
