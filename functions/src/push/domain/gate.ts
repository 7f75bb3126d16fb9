/**
 * The exactly-once gate's rule (docs/delivery.md, "The gate" and "Leases"), as one pure decision over what a
 * gate doc holds and the time: the delivery store, the slice store and the tests' fakes all call it, so none
 * of them restates the rule. A gate doc is `pushDeliveries/{eventId}` or one of its `slices/{index}`.
 */

import { SENDING_AT_MOST_MS } from "./sweep";

export const gateStatuses = ["sending", "done", "failed"] as const;
export type GateStatus = (typeof gateStatuses)[number];

/** A gate doc's fields the rule reads; `undefined` when there is no doc yet. */
export type GateRecord = {
  status: GateStatus;
  /** Runs that got past the gate (1 when absent: a record from before attempts were counted). */
  attempts?: number | undefined;
  /** Whether any message may have gone out (true when absent: assume the worst). */
  sendStarted?: boolean | undefined;
  /**
   * When the run that holds the record is certainly over (its function's timeout plus a margin), in ms since
   * the epoch. Absent on records from before leases: such a record is never taken over while `sending`.
   */
  leaseExpiresAtMs?: number | undefined;
  /** A slice already counted into its delivery (finished, swept, or given up as not enqueued): final. */
  counted?: boolean | undefined;
  /** A delivery through tasks whose recorded plan still has slices to enqueue: its enqueueing may resume. */
  enqueueing?: boolean | undefined;
  /** When the record was made (ms since the epoch), if known: the sweeper's deadline counts from it. */
  createdAtMs?: number | undefined;
};

/**
 * What a run that failed before sending anything leaves: `failed`, and nothing sent nor being enqueued,
 * even if its "send started" (or "tasks planned") write committed before the error reached it: a write
 * whose answer was an error may still have committed, and nothing was sent either way.
 */
export const ABANDONED = { status: "failed", sendStarted: false, enqueueing: false } as const;

export type GateRules = {
  /** Runs of one event (or slice) that may get past the gate. */
  maxAttempts: number;
  /** How long a run holds the record it takes: the function's timeout plus a margin (params.ts). */
  leaseMs: number;
};

/** What the run that asks may do. */
export type GateDecision =
  | { kind: "create"; attempt: 1; leaseExpiresAtMs: number }
  | {
      kind: "take-over";
      attempt: number;
      leaseExpiresAtMs: number;
      why: "failed-before-sending" | "lease-expired";
    }
  | { kind: "resume"; attempt: number; leaseExpiresAtMs: number }
  | { kind: "wait"; status: GateStatus; leaseExpiresAtMs: number }
  | { kind: "refuse"; status: GateStatus; sendStarted: boolean };

/** How a run's `begin` went: it owns the record (fresh, or to resume its enqueueing), or it does not. */
export type BeginResult =
  | { owned: true; attempt: number; resume: boolean }
  | {
      owned: false;
      status: GateStatus;
      sendStarted: boolean;
      /** Another live run holds the record: ask the platform to retry after its lease rather than drop the event. */
      retryAfterMs?: number | undefined;
    };

/**
 * - no doc: create it (`sending`, a fresh lease): this run owns it;
 * - a slice already counted into its delivery: refuse (it is final, whatever its status);
 * - `failed` before sending anything, with attempts left: take it over;
 * - `sending`, nothing sent yet, its lease run out (the run that held it died), attempts left: take it over;
 * - `sending` through tasks with slices left to enqueue, its lease run out, attempts left: resume the
 *   enqueueing of the recorded plan (task ids are deterministic, so a repeated enqueue is refused by Cloud Tasks);
 * - `sending` under a live lease, nothing sent yet (or enqueueing): wait (the caller asks for a retry later);
 * - anything else (`done`, a send that started, no attempts left): refuse, send nothing.
 */
export function decideGate(record: GateRecord | undefined, rules: GateRules, nowMs: number): GateDecision {
  const leaseExpiresAtMs = nowMs + rules.leaseMs;
  if (record === undefined) return { kind: "create", attempt: 1, leaseExpiresAtMs };
  const attempts = record.attempts ?? 1;
  const sendStarted = record.sendStarted ?? true;
  const refuse = { kind: "refuse", status: record.status, sendStarted } as const;
  if (record.counted === true) return refuse;
  // A run taking the record over must be over (its lease out) before the sweeper's deadline, which ends
  // whatever is still sending then: else the sweeper could end it while it runs, and a redelivery send again.
  const beforeDeadline =
    record.createdAtMs === undefined || nowMs + rules.leaseMs <= record.createdAtMs + SENDING_AT_MOST_MS;
  const attemptsLeft = attempts < rules.maxAttempts && beforeDeadline;
  const next = { attempt: attempts + 1, leaseExpiresAtMs };

  if (record.status === "failed") {
    return !sendStarted && attemptsLeft
      ? { kind: "take-over", why: "failed-before-sending", ...next }
      : refuse;
  }
  if (record.status !== "sending" || record.leaseExpiresAtMs === undefined) return refuse;
  const resumable = record.enqueueing === true;
  if (sendStarted && !resumable) return refuse;
  if (nowMs < record.leaseExpiresAtMs) {
    return { kind: "wait", status: record.status, leaseExpiresAtMs: record.leaseExpiresAtMs };
  }
  if (!attemptsLeft) return refuse;
  return resumable ? { kind: "resume", ...next } : { kind: "take-over", why: "lease-expired", ...next };
}

/** The decision as the run sees it. */
export function beginResultOf(decision: GateDecision, nowMs: number): BeginResult {
  switch (decision.kind) {
    case "create":
    case "take-over":
      return { owned: true, attempt: decision.attempt, resume: false };
    case "resume":
      return { owned: true, attempt: decision.attempt, resume: true };
    case "wait":
      return {
        owned: false,
        status: decision.status,
        sendStarted: false,
        retryAfterMs: Math.max(0, decision.leaseExpiresAtMs - nowMs),
      };
    case "refuse":
      return { owned: false, status: decision.status, sendStarted: decision.sendStarted };
  }
}
