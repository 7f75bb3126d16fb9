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
 * - A `sendEach` whose HTTP/2 session failed (GOAWAY, reset, refused connection) is answered per message
 *   from what firebase-admin reports (sessionFailure.ts) and classified like any answer: accepted ones
 *   count `sent`, token rejections are marked, refused or never-written streams are sent again within the
 *   retry budget, streams lost in flight are ambiguous (above). Any other throw (an invalid batch) fails
 *   that round's messages without retrying them.
 */
import { FCM_MAX_BATCH } from "../../shared/batches";
import type { FailReason, FcmError, RejectReason, RetryReason } from "./classify";
import { assertRetryPolicy, defaultRetryPolicy, type RetryPolicy } from "./retryPolicy";
import { deliverBatch, type BatchResult } from "./sendRounds";

/** A message for one device; `ref` is the caller's, handed back with the device's rejection (if any). */
export type DeliveryMessage<M> = { deviceId: string; message: M; ref?: unknown };

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

export type RejectedDevice = { deviceId: string; reason: RejectReason; code: string; ref?: unknown };

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
  // The messages are all here: there is nothing to fail reading.
  const { sourceError, ...report } = await deliverStream([options.messages], options);
  if (sourceError !== undefined) throw new Error("an array of messages cannot fail to be read");
  return report;
}

/**
 * `deliverMessages` over messages that arrive a page at a time (the fan-out reads its audience while it
 * sends): pages are cut into batches of `batchSize` as they come (a page's last, partial batch waits for the
 * next page unless nothing is in flight), at most `concurrency` batches in flight,
 * and the next page is only asked for when a batch slot is free (so reading never runs far ahead of FCM).
 * Each batch's outcome is folded into the report as it answers, so memory holds the batches in flight and
 * the rejections, not one entry per message; the guard is decided once every batch has answered.
 */
export async function deliverStream<M>(
  pages: AsyncIterable<readonly DeliveryMessage<M>[]> | Iterable<readonly DeliveryMessage<M>[]>,
  options: Omit<DeliveryOptions<M>, "messages">,
): Promise<DeliveryReport & { sourceError?: unknown }> {
  const policy = options.policy ?? defaultRetryPolicy;
  const guard = options.guard ?? defaultMassRejectionGuard;
  const batchSize = options.batchSize ?? FCM_MAX_BATCH;
  const concurrency = options.concurrency ?? defaultDeliveryConcurrency;
  assertRetryPolicy(policy);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > FCM_MAX_BATCH) {
    throw new RangeError(`batchSize must be a whole number in 1..${FCM_MAX_BATCH}, got ${batchSize}`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a whole number ≥ 1, got ${concurrency}`);
  }

  const startedAt = options.now();
  const tally = new ReportTally(guard);
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const launch = async (batch: DeliveryMessage<M>[]) => {
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (failure) return;
    const sending: Promise<void> = deliverBatch(batch, options as DeliveryOptions<M>, policy, startedAt)
      .then(
        (result) => tally.add(result),
        (error: unknown) => {
          failure ??= { error };
        },
      )
      .finally(() => inFlight.delete(sending));
    inFlight.add(sending);
  };

  let pending: DeliveryMessage<M>[] = [];
  let sourceError: { error: unknown } | undefined;
  try {
    for await (const page of pages) {
      for (const message of page) {
        pending.push(message);
        if (pending.length === batchSize) {
          await launch(pending);
          pending = [];
        }
      }
      if (failure) break;
      // Nothing in flight: FCM would sit idle while the next page is read, so the partial batch goes now.
      if (inFlight.size === 0 && pending.length > 0) {
        await launch(pending);
        pending = [];
      }
    }
    if (pending.length > 0) await launch(pending);
  } catch (error) {
    // The pages could not be read on: what was sent is counted, the messages not read yet are not.
    sourceError = { error };
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  return { ...tally.report(), ...(sourceError ? { sourceError: sourceError.error } : {}) };
}

/** The report, folded a batch at a time. */
class ReportTally {
  private readonly counts: DeliveryReport = {
    sent: 0,
    failed: 0,
    rejected: [],
    retries: 0,
    failures: {},
    massRejectionGuardTripped: false,
  };
  private messages = 0;
  private mismatches = 0;
  private batchTripped = false;
  /** Each rejection's detail, in case the guard turns it into a failure. */
  private readonly rejectedDetail = new Map<RejectedDevice, string>();

  constructor(private readonly guard: MassRejectionGuard) {}

  add(batch: BatchResult): void {
    this.messages += batch.settled.length;
    this.mismatches += batch.mismatches;
    this.counts.retries += batch.retries;
    if (tooManyMismatches(batch.mismatches, batch.settled.length, this.guard)) this.batchTripped = true;
    for (const s of batch.settled) {
      switch (s.kind) {
        case "sent":
          this.counts.sent++;
          break;
        case "rejected": {
          const rejected: RejectedDevice = {
            deviceId: s.deviceId,
            reason: s.reason,
            code: s.code,
            ...(s.ref === undefined ? {} : { ref: s.ref }),
          };
          this.counts.rejected.push(rejected);
          if (s.reason === "sender-id-mismatch") this.rejectedDetail.set(rejected, s.detail);
          break;
        }
        case "failed":
          this.fail(s.reason, s.detail);
          break;
      }
    }
  }

  report(): DeliveryReport {
    const tripped = this.batchTripped || tooManyMismatches(this.mismatches, this.messages, this.guard);
    if (tripped) {
      // No token anywhere in the delivery is rejected for a sender-id mismatch (see the top of this file).
      this.counts.rejected = this.counts.rejected.filter((rejected) => {
        const detail = this.rejectedDetail.get(rejected);
        if (detail === undefined) return true;
        this.fail("mismatch-guarded", detail);
        return false;
      });
    }
    return { ...this.counts, massRejectionGuardTripped: tripped };
  }

  private fail(reason: FailureReason, detail: string): void {
    this.counts.failed++;
    const entry = this.counts.failures[reason];
    if (entry) entry.count++;
    else this.counts.failures[reason] = { count: 1, example: detail };
  }
}

function tooManyMismatches(mismatches: number, messages: number, guard: MassRejectionGuard): boolean {
  return messages >= guard.minMessages && mismatches > guard.share * messages;
}
