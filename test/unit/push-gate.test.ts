// The gate's one rule (functions/src/push/domain/gate.ts) with leases: what a run may do with each
// record it can find, at a given time.
import { beginResultOf, decideGate, type GateRecord } from "../../functions/src/push/domain/gate";

const rules = { maxAttempts: 3, leaseMs: 600_000 };
const now = 10_000_000;
const decide = (record: GateRecord | undefined, at = now) => decideGate(record, rules, at);

describe("decideGate", () => {
  it("creates an absent record with a lease of the rules' length", () => {
    expect(decide(undefined)).toEqual({ kind: "create", attempt: 1, leaseExpiresAtMs: now + 600_000 });
  });

  it("takes over a record that failed before sending, with attempts left", () => {
    expect(decide({ status: "failed", attempts: 1, sendStarted: false })).toMatchObject({
      kind: "take-over",
      why: "failed-before-sending",
      attempt: 2,
    });
    expect(decide({ status: "failed", attempts: 3, sendStarted: false })).toMatchObject({ kind: "refuse" });
  });

  // Issue: a delivery that kept failing before sending was taken over more than an hour after it was
  // created; the sweeper ended it as failed while that run prepared, the run then wrote `done` over it, and
  // a redelivery in between saw "failed, nothing sent" and sent a second time.
  it("takes nothing over when the run could still hold it at the sweeper's one-hour deadline", () => {
    const hour = 60 * 60 * 1000;
    const failed: GateRecord = { status: "failed", attempts: 1, sendStarted: false };
    const sending: GateRecord = { status: "sending", attempts: 1, sendStarted: false, leaseExpiresAtMs: now };
    for (const record of [failed, sending]) {
      // Its lease would run out just before the deadline: taken over.
      expect(decide({ ...record, createdAtMs: now + 600_000 - hour })).toMatchObject({ kind: "take-over" });
      // Its lease would run past the deadline: refused (the sweeper ends what is left of it).
      expect(decide({ ...record, createdAtMs: now + 599_999 - hour })).toMatchObject({ kind: "refuse" });
    }
    const enqueueing: GateRecord = { ...sending, sendStarted: true, enqueueing: true };
    expect(decide({ ...enqueueing, createdAtMs: now - hour })).toMatchObject({ kind: "refuse" });
  });

  it("waits while another run holds a live lease and has sent nothing", () => {
    const record: GateRecord = {
      status: "sending",
      attempts: 1,
      sendStarted: false,
      leaseExpiresAtMs: now + 5_000,
    };
    expect(decide(record)).toEqual({ kind: "wait", status: "sending", leaseExpiresAtMs: now + 5_000 });
    expect(beginResultOf(decide(record), now)).toEqual({
      owned: false,
      status: "sending",
      sendStarted: false,
      retryAfterMs: 5_000,
    });
  });

  it("takes over a sending record whose run died before sending, once its lease has run out", () => {
    const record: GateRecord = { status: "sending", attempts: 1, sendStarted: false, leaseExpiresAtMs: now };
    expect(decide(record)).toEqual({
      kind: "take-over",
      why: "lease-expired",
      attempt: 2,
      leaseExpiresAtMs: now + 600_000,
    });
    expect(decide({ ...record, attempts: 3 })).toMatchObject({ kind: "refuse", sendStarted: false });
  });

  it("never takes over a record whose sending started, lease or not", () => {
    for (const leaseExpiresAtMs of [undefined, now - 1, now + 1]) {
      expect(decide({ status: "sending", attempts: 1, sendStarted: true, leaseExpiresAtMs })).toEqual({
        kind: "refuse",
        status: "sending",
        sendStarted: true,
      });
    }
    expect(decide({ status: "failed", attempts: 1, sendStarted: true })).toMatchObject({ kind: "refuse" });
    // Absent sendStarted means the worst.
    expect(decide({ status: "sending", attempts: 1, leaseExpiresAtMs: now - 1 })).toMatchObject({
      kind: "refuse",
    });
  });

  it("never takes over a sending record from before leases", () => {
    expect(decide({ status: "sending", attempts: 1, sendStarted: false })).toMatchObject({ kind: "refuse" });
  });

  it("resumes the enqueueing of a recorded plan once the lease has run out, waits before", () => {
    const record: GateRecord = {
      status: "sending",
      attempts: 1,
      sendStarted: true,
      enqueueing: true,
      leaseExpiresAtMs: now,
    };
    expect(decide(record)).toEqual({ kind: "resume", attempt: 2, leaseExpiresAtMs: now + 600_000 });
    expect(beginResultOf(decide(record), now)).toEqual({ owned: true, attempt: 2, resume: true });
    expect(decide(record, now - 1)).toMatchObject({ kind: "wait" });
    expect(decide({ ...record, enqueueing: false })).toMatchObject({ kind: "refuse" });
  });

  it("refuses a slice already counted into its delivery, whatever else it holds", () => {
    expect(decide({ status: "failed", attempts: 0, sendStarted: false, counted: true })).toEqual({
      kind: "refuse",
      status: "failed",
      sendStarted: false,
    });
  });

  it("refuses a done record", () => {
    expect(decide({ status: "done", attempts: 1, sendStarted: false, leaseExpiresAtMs: 0 })).toMatchObject({
      kind: "refuse",
    });
  });
});
