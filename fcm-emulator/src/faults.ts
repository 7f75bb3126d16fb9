/**
 * The fault switch: makes the next `count` send requests fail, for tests and drills of the retry paths.
 *
 * `PUT /emulator/v1/faults` takes one of
 *   { "status": 401 | 429 | 500 | 503, "count": n, "retryAfterSeconds"?: s }
 *       answer with FCM's error for that status (401 is THIRD_PARTY_AUTH_ERROR), with `Retry-After: s`;
 *   { "kind": "reset", "count": n }
 *       destroy the connection without answering (the client sees ECONNRESET or "socket hang up").
 * Either may add `"every": k` (k ≥ 1, default 1): only every k-th send request fails, the first one
 * included (k = 2: the 1st, 3rd, 5th, ...), until `count` of them have failed; the others are answered
 * normally. A partial outage, for drills: with k = 2, half the requests fail while the fault lasts.
 * A new fault replaces the armed one. Every send request that reaches the emulator counts, retries
 * of the SDK included, whatever the request holds (an outage comes before auth and validation).
 */
import { FAULT_STATUSES, type FaultStatus } from "./fcmErrors";
import { isObject } from "./validate";

export type Fault = { kind: "status"; status: FaultStatus; retryAfterSeconds?: number } | { kind: "reset" };

export interface ArmedFault {
  fault: Fault;
  /** Failures still to hand out. */
  remaining: number;
  /** Only every k-th request fails (the first included); absent means every request. */
  every?: number;
}

export type FaultParse = { ok: true; armed: ArmedFault } | { ok: false; problem: string };

export function parseFault(body: unknown): FaultParse {
  if (!isObject(body)) return { ok: false, problem: "the body must be a JSON object" };
  const { count } = body;
  if (!Number.isInteger(count) || (count as number) < 1) {
    return { ok: false, problem: "count must be a positive integer" };
  }
  const remaining = count as number;
  const { every } = body;
  if (every !== undefined && (!Number.isInteger(every) || (every as number) < 1)) {
    return { ok: false, problem: "every must be a positive integer" };
  }
  const spacing = every === undefined || every === 1 ? {} : { every: every as number };
  if (body.kind === "reset") {
    return { ok: true, armed: { fault: { kind: "reset" }, remaining, ...spacing } };
  }
  if (body.kind !== undefined && body.kind !== "status") {
    return { ok: false, problem: 'kind must be "status" (the default) or "reset"' };
  }
  const status = FAULT_STATUSES.find((known) => known === body.status);
  if (status === undefined) {
    return { ok: false, problem: `status must be one of ${FAULT_STATUSES.join(", ")}` };
  }
  const { retryAfterSeconds } = body;
  if (retryAfterSeconds === undefined) {
    return { ok: true, armed: { fault: { kind: "status", status }, remaining, ...spacing } };
  }
  if (!Number.isInteger(retryAfterSeconds) || (retryAfterSeconds as number) < 0) {
    return { ok: false, problem: "retryAfterSeconds must be a non-negative integer" };
  }
  return {
    ok: true,
    armed: {
      fault: { kind: "status", status, retryAfterSeconds: retryAfterSeconds as number },
      remaining,
      ...spacing,
    },
  };
}

export class FaultSwitch {
  private armed: ArmedFault | undefined;
  /** Send requests seen since the fault was armed. */
  private seen = 0;

  arm(armed: ArmedFault): void {
    this.armed = { ...armed };
    this.seen = 0;
  }

  clear(): void {
    this.armed = undefined;
  }

  /** What is armed now, for `GET /emulator/v1/faults`. */
  current(): ArmedFault | undefined {
    return this.armed && { ...this.armed };
  }

  /** The fault for the request arriving now, if any; uses it up. */
  take(): Fault | undefined {
    if (!this.armed) return undefined;
    const { fault, every = 1 } = this.armed;
    const turn = this.seen;
    this.seen += 1;
    if (turn % every !== 0) return undefined;
    this.armed.remaining -= 1;
    if (this.armed.remaining === 0) this.armed = undefined;
    return fault;
  }
}
