// The credential breaker's and the sweeper's pure rules, and the breaker applied to a send's report.
import { applyCredentialBreaker, type CredentialBreaker } from "../../functions/src/push/breaker";
import { breakerOpen, windowStartOf, windowsRead } from "../../functions/src/push/domain/breaker";
import type { DeliveryReport } from "../../functions/src/push/domain/deliver";
import { decideSweep, SENDING_AT_MOST_MS } from "../../functions/src/push/domain/sweep";

const settings = { windowMs: 600_000, minAnswers: 20, share: 0.5 };

describe("the credential breaker's rule", () => {
  it("stays closed below the minimum of answers, whatever their mismatches", () => {
    expect(breakerOpen({ answers: 19, mismatches: 19 }, settings)).toBe(false);
  });
  it("opens when mismatches are more than the share of enough answers", () => {
    expect(breakerOpen({ answers: 20, mismatches: 11 }, settings)).toBe(true);
    expect(breakerOpen({ answers: 20, mismatches: 10 }, settings)).toBe(false);
  });
  it("reads the current window and the one before", () => {
    expect(windowStartOf(1_234_567, 600_000)).toBe(1_200_000);
    expect(windowsRead(1_234_567, 600_000)).toEqual([1_200_000, 600_000]);
  });
});

function report(mismatches: number, sent: number): DeliveryReport {
  return {
    sent,
    failed: 0,
    rejected: [
      ...Array.from({ length: mismatches }, (_, i) => ({
        deviceId: `m${i}`,
        reason: "sender-id-mismatch" as const,
        code: "messaging/mismatched-credential",
      })),
      { deviceId: "u", reason: "unregistered" as const, code: "messaging/registration-token-not-registered" },
    ],
    retries: 0,
    failures: {},
    massRejectionGuardTripped: false,
  };
}

/** A breaker over an in-memory window (what BreakerStore keeps in Firestore). */
function memoryBreaker(failReads = false) {
  const window = { answers: 0, mismatches: 0 };
  const breaker: CredentialBreaker = {
    settings,
    now: () => 5_000_000,
    count: (_now, counts) => {
      window.answers += counts.answers;
      window.mismatches += counts.mismatches;
      return Promise.resolve();
    },
    read: () => (failReads ? Promise.reject(new Error("UNAVAILABLE")) : Promise.resolve({ ...window })),
  };
  return { breaker, window };
}

describe("applyCredentialBreaker", () => {
  it("lets a lone mismatch be marked while the project's answers are healthy", async () => {
    const { breaker, window } = memoryBreaker();
    window.answers = 100;
    const out = await applyCredentialBreaker("e", report(1, 3), 5, breaker);
    expect(out.rejected.map((r) => r.reason)).toEqual(["sender-id-mismatch", "unregistered"]);
    expect(window).toEqual({ answers: 105, mismatches: 1 });
  });

  it("a stream of small deliveries, each all mismatches, opens it: nothing marked, the send fails", async () => {
    const { breaker } = memoryBreaker();
    const outcomes: DeliveryReport[] = [];
    for (let i = 0; i < 10; i++)
      outcomes.push(await applyCredentialBreaker(`e${i}`, report(3, 0), 4, breaker));
    // The first deliveries (fewer than 20 answers seen) cannot tell; from then on none is marked.
    const last = outcomes[outcomes.length - 1] as DeliveryReport;
    expect(last.rejected.map((r) => r.reason)).toEqual(["unregistered"]);
    expect(last.failures["mismatch-guarded"]?.count).toBe(3);
    expect(last.failed).toBe(3);
    expect(last.massRejectionGuardTripped).toBe(true);
    const marked = outcomes.flatMap((o) => o.rejected.filter((r) => r.reason === "sender-id-mismatch"));
    expect(marked.length).toBeLessThanOrEqual(3 * 5);
  });

  it("marks no mismatch when the breaker cannot be read (the safe side)", async () => {
    const { breaker } = memoryBreaker(true);
    const out = await applyCredentialBreaker("e", report(2, 10), 13, breaker);
    expect(out.rejected.map((r) => r.reason)).toEqual(["unregistered"]);
  });
});

describe("the sweeper's rule", () => {
  const created = 1_000_000;
  it("leaves a record within its time alone", () => {
    expect(
      decideSweep(
        { kind: "delivery", createdAtMs: created, sendStarted: false, leaseExpiresAtMs: created + 600_000 },
        created + 1_000,
      ),
    ).toEqual({ sweep: false });
    // Nothing sent and the lease over: a retry may still take it over, within the hour.
    expect(
      decideSweep(
        { kind: "delivery", createdAtMs: created, sendStarted: false, leaseExpiresAtMs: created },
        created + 700_000,
      ),
    ).toEqual({ sweep: false });
  });

  it("sweeps a direct delivery or a slice whose send started once its lease ran out: fate unknown", () => {
    for (const kind of ["delivery", "slice"] as const) {
      const decision = decideSweep(
        { kind, createdAtMs: created, sendStarted: true, leaseExpiresAtMs: created + 10, tokens: 7 },
        created + 10,
      );
      expect(decision).toMatchObject({ sweep: true, fateUnknown: true });
      expect(decision.sweep && decision.error).toMatch(/7 messages is unknown/);
    }
  });

  it("leaves a delivery through tasks to its slices until the hour is up", () => {
    const record = {
      kind: "delivery" as const,
      createdAtMs: created,
      sendStarted: true,
      fanOut: "tasks" as const,
      leaseExpiresAtMs: created,
    };
    expect(decideSweep(record, created + SENDING_AT_MOST_MS - 1)).toEqual({ sweep: false });
    expect(decideSweep(record, created + SENDING_AT_MOST_MS)).toMatchObject({
      sweep: true,
      error: expect.stringMatching(/an hour .*slices did not all end/) as unknown,
    });
  });

  it("sweeps whatever is still sending an hour after it was created", () => {
    expect(
      decideSweep(
        { kind: "slice", createdAtMs: created, sendStarted: false, leaseExpiresAtMs: created + 9e9 },
        created + SENDING_AT_MOST_MS,
      ),
    ).toMatchObject({ sweep: true, fateUnknown: false });
    expect(
      decideSweep({ kind: "delivery", createdAtMs: created }, created + SENDING_AT_MOST_MS),
    ).toMatchObject({
      sweep: true,
    });
  });
});
