import {
  assertRetryPolicy,
  attemptLimit,
  backoffDelayMs,
  defaultRetryPolicy,
  planRetry,
  type RetryPolicy,
} from "../../functions/src/push/domain/retryPolicy";

const policy: RetryPolicy = {
  maxAttempts: 4,
  maxAttemptsAfterSdkRetries: 2,
  baseDelayMs: 1_000,
  maxDelayMs: 5_000,
  budgetMs: 20_000,
};
const almostOne = () => 0.999_999;
const zero = () => 0;

describe("backoffDelayMs", () => {
  it("doubles the jitter window at every retry, up to the cap", () => {
    expect([1, 2, 3, 4, 5].map((retry) => backoffDelayMs(policy, retry, almostOne))).toEqual([
      999, 1_999, 3_999, 4_999, 4_999,
    ]);
  });

  it("is full jitter: anywhere from 0 to the window", () => {
    expect(backoffDelayMs(policy, 3, zero)).toBe(0);
    expect(backoffDelayMs(policy, 3, () => 0.5)).toBe(2_000);
  });

  it("waits at least Retry-After when it is known", () => {
    expect(backoffDelayMs(policy, 1, zero, 7_000)).toBe(7_000);
    expect(backoffDelayMs(policy, 3, almostOne, 100)).toBe(3_999);
  });

  it("tolerates a random source that strays outside [0, 1)", () => {
    expect(backoffDelayMs(policy, 1, () => 7)).toBe(1_000);
    expect(backoffDelayMs(policy, 1, () => -1)).toBe(0);
    expect(backoffDelayMs(policy, 1, () => Number.NaN)).toBe(0);
  });
});

describe("planRetry", () => {
  it("retries while attempts remain and the wait ends within the budget", () => {
    expect(planRetry(policy, { attemptsMade: 1, limit: 4, elapsedMs: 0 }, () => 0.5)).toEqual({
      retry: true,
      delayMs: 500,
    });
  });

  it("stops at the attempt limit", () => {
    expect(planRetry(policy, { attemptsMade: 4, limit: 4, elapsedMs: 0 }, zero)).toEqual({
      retry: false,
      why: "attempts",
    });
  });

  it("stops when the wait would end past the budget", () => {
    expect(planRetry(policy, { attemptsMade: 1, limit: 4, elapsedMs: 19_500 }, almostOne)).toEqual({
      retry: false,
      why: "budget",
    });
    expect(
      planRetry(policy, { attemptsMade: 1, limit: 4, elapsedMs: 0, retryAfterMs: 30_000 }, zero),
    ).toEqual({
      retry: false,
      why: "budget",
    });
  });
});

describe("attemptLimit", () => {
  it("gives answers firebase-admin already retried fewer attempts of ours", () => {
    expect(attemptLimit(policy, false)).toBe(4);
    expect(attemptLimit(policy, true)).toBe(2);
    expect(attemptLimit({ ...policy, maxAttempts: 1 }, true)).toBe(1);
  });
});

describe("assertRetryPolicy", () => {
  it("accepts the default policy", () => {
    expect(() => assertRetryPolicy(defaultRetryPolicy)).not.toThrow();
  });

  it.each([
    { maxAttempts: 0 },
    { maxAttempts: 1.5 },
    { maxAttemptsAfterSdkRetries: 0 },
    { baseDelayMs: -1 },
    { budgetMs: Number.POSITIVE_INFINITY },
  ])("rejects %p", (change) => {
    expect(() => assertRetryPolicy({ ...policy, ...change })).toThrow(RangeError);
  });
});
