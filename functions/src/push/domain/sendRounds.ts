/**
 * One batch of a delivery (see deliver.ts): sent, classified, and its retryable messages sent again on the
 * rounds `planRetry` allows, inside the batch's own slot.
 */
import { errorText } from "../../shared/errorText";
import { classifyFcmError, type RejectReason, type RetryReason } from "./classify";
import type { DeliveryMessage, DeliveryOptions, FailureReason, PushSender, SendAnswer } from "./deliver";
import { attemptLimit, planRetry, type RetryPolicy } from "./retryPolicy";
import { answersOfSessionFailure } from "./sessionFailure";

export type Settled =
  | { deviceId: string; kind: "sent" }
  | { deviceId: string; kind: "rejected"; reason: RejectReason; code: string; detail: string; ref?: unknown }
  | { deviceId: string; kind: "failed"; reason: FailureReason; detail: string };

export type BatchResult = { settled: Settled[]; retries: number; mismatches: number };

export async function deliverBatch<M>(
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
            ...(item.ref === undefined ? {} : { ref: item.ref }),
          });
          break;
        case "failed":
          if (outcome.reason === "permission-denied" && error?.code === "messaging/mismatched-credential")
            mismatches++;
          settled.push({ deviceId, kind: "failed", reason: outcome.reason, detail: outcome.detail });
          break;
        case "retryable":
          if (outcome.ambiguous === true && options.collapseSafe !== true) {
            settled.push({
              deviceId,
              kind: "failed",
              reason: outcome.reason,
              detail: `${outcome.detail} (not retried: the request may have reached FCM, and the message is not collapse-safe)`,
            });
          } else if (attemptsMade >= attemptLimit(policy, outcome.retriedBySdk)) {
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

/**
 * The answers in message order, or why there are none. A batch whose HTTP/2 session failed is answered
 * per message all the same (sessionFailure.ts); any other throw fails the round.
 */
async function sendRound<M>(
  sender: PushSender<M>,
  items: readonly DeliveryMessage<M>[],
): Promise<SendAnswer[] | string> {
  let responses: SendAnswer[];
  try {
    ({ responses } = await sender.sendEach(items.map((i) => i.message)));
  } catch (error) {
    const recovered = await answersOfSessionFailure(error, items.length);
    return recovered ?? `sendEach threw: ${errorText(error)}`;
  }
  if (!Array.isArray(responses) || responses.length !== items.length) {
    return `sendEach answered ${Array.isArray(responses) ? responses.length : "no"} responses for ${items.length} messages`;
  }
  return responses;
}
