/**
 * The exactly-once gate's rule (docs/delivery.md), as one pure decision over what a gate doc holds: the
 * delivery store, the slice store and the tests' fakes all call it, so none of them restates the rule.
 * A gate doc is `pushDeliveries/{eventId}` or one of its `slices/{index}`.
 */

export const gateStatuses = ["sending", "done", "failed"] as const;
export type GateStatus = (typeof gateStatuses)[number];

/** A gate doc's fields the rule reads; `undefined` when there is no doc yet. */
export type GateRecord = {
  status: GateStatus;
  /** Runs that got past the gate (1 when absent: a record from before attempts were counted). */
  attempts?: number | undefined;
  /** Whether any message may have gone out (true when absent: assume the worst). */
  sendStarted?: boolean | undefined;
};

export type GateRules = {
  /** Runs of one event (or slice) that may get past the gate. */
  maxAttempts: number;
};

/** What the run that asks may do. */
export type GateDecision =
  | { kind: "create"; attempt: 1 }
  | { kind: "take-over"; attempt: number }
  | { kind: "refuse"; status: GateStatus; sendStarted: boolean };

/** How a run's `begin` went: it owns the delivery (or slice), or another run has it (or had it). */
export type BeginResult =
  { owned: true; attempt: number } | { owned: false; status: GateStatus; sendStarted: boolean };

/**
 * - no doc: create it (`sending`): this run owns it;
 * - `failed` before sending anything, with attempts left: take it over (`sending`, one more attempt);
 * - anything else (`sending`, `done`, a failure after sending began, no attempts left): refuse, send nothing.
 */
export function decideGate(record: GateRecord | undefined, rules: GateRules): GateDecision {
  if (record === undefined) return { kind: "create", attempt: 1 };
  const attempts = record.attempts ?? 1;
  const sendStarted = record.sendStarted ?? true;
  if (record.status === "failed" && !sendStarted && attempts < rules.maxAttempts) {
    return { kind: "take-over", attempt: attempts + 1 };
  }
  return { kind: "refuse", status: record.status, sendStarted };
}

/** The decision as the run sees it. */
export function beginResultOf(decision: GateDecision): BeginResult {
  return decision.kind === "refuse"
    ? { owned: false, status: decision.status, sendStarted: decision.sendStarted }
    : { owned: true, attempt: decision.attempt };
}
