/**
 * When to send a retryable message again: exponential backoff with full jitter, at least `Retry-After`
 * when it is known, within a bounded number of attempts and a total time budget.
 *
 * How this combines with firebase-admin's own retries (node_modules/firebase-admin/lib/utils/api-request.js,
 * `defaultRetryConfig`): for every single message, firebase-admin's HTTP client retries a 503 and the socket
 * errors ECONNRESET / ETIMEDOUT itself, up to 4 times (5 HTTP requests), waiting 0, 1, 2, 4 s or the
 * `Retry-After` it was given. It does not retry 429, 500 or any other error. Its per-message
 * `SendResponse.error` carries only `code` and `message`, never the response headers, so `Retry-After`
 * is lost to us with firebase-admin 13; `retryAfterMs` is honoured when a sender can supply it, and
 * otherwise the backoff alone applies.
 *
 * So one of our attempts is one HTTP request for 429 / 500 / other network errors, and up to 5 for
 * 503 / ECONNRESET / ETIMEDOUT. To keep the two layers from multiplying:
 * - 429, 500 and network errors the SDK did not retry: up to `maxAttempts` attempts (1 request each);
 * - an answer the SDK already retried (503, ECONNRESET, ETIMEDOUT) is sent again only while fewer than
 *   `maxAttemptsAfterSdkRetries` attempts were made (default 2: at most one more round after the SDK
 *   gave up, and only when it gave up on the first attempt).
 * Every message therefore costs at most `maxAttempts + 4 × maxAttemptsAfterSdkRetries` HTTP requests
 * (defaults: 4 + 8 = 12) and we never sleep past `budgetMs` after the delivery started (a round already
 * in flight, including the SDK's own waits inside it, may end after it).
 */

export type RetryPolicy = {
  /** Attempts per message, the first one included (≥ 1). */
  maxAttempts: number;
  /** Attempts after which an answer that firebase-admin already retried itself is final (≥ 1). */
  maxAttemptsAfterSdkRetries: number;
  /** Backoff cap of the first retry; doubled at every further retry. */
  baseDelayMs: number;
  /** Backoff cap, whatever the attempt. */
  maxDelayMs: number;
  /** No retry waits past this many ms after the delivery started. */
  budgetMs: number;
};

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 4,
  maxAttemptsAfterSdkRetries: 2,
  baseDelayMs: 1_000,
  maxDelayMs: 15_000,
  budgetMs: 40_000,
};

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; why: "attempts" | "budget" };

/** How many attempts a message gets whose latest answer was retried by firebase-admin or not. */
export function attemptLimit(policy: RetryPolicy, retriedBySdk: boolean): number {
  return retriedBySdk ? Math.min(policy.maxAttemptsAfterSdkRetries, policy.maxAttempts) : policy.maxAttempts;
}

/**
 * Full jitter: a uniform wait in [0, min(maxDelayMs, baseDelayMs × 2^(retry−1))), then at least
 * `retryAfterMs` when the server said so. `retry` is 1 for the first retry. `random` returns [0, 1).
 */
export function backoffDelayMs(
  policy: RetryPolicy,
  retry: number,
  random: () => number,
  retryAfterMs?: number,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  const jittered = Math.floor(clampUnit(random()) * cap);
  return Math.max(jittered, retryAfterMs ?? 0);
}

/**
 * Whether, and after how long, to send again after `attemptsMade` attempts whose latest answers were
 * retryable, `elapsedMs` after the delivery started. `attemptsMade` is checked against `limit`
 * (see `attemptLimit`); the wait must end within the budget.
 */
export function planRetry(
  policy: RetryPolicy,
  state: { attemptsMade: number; limit: number; elapsedMs: number; retryAfterMs?: number },
  random: () => number,
): RetryDecision {
  if (state.attemptsMade >= state.limit) return { retry: false, why: "attempts" };
  const delayMs = backoffDelayMs(policy, state.attemptsMade, random, state.retryAfterMs);
  if (state.elapsedMs + delayMs > policy.budgetMs) return { retry: false, why: "budget" };
  return { retry: true, delayMs };
}

/** Throws a RangeError for a policy that cannot work (so a bad param fails loudly, not silently). */
export function assertRetryPolicy(policy: RetryPolicy): void {
  const wholeAtLeastOne = (n: number) => Number.isInteger(n) && n >= 1;
  const nonNegative = (n: number) => Number.isFinite(n) && n >= 0;
  if (!wholeAtLeastOne(policy.maxAttempts) || !wholeAtLeastOne(policy.maxAttemptsAfterSdkRetries)) {
    throw new RangeError("retry policy: attempt counts must be whole numbers ≥ 1");
  }
  if (!nonNegative(policy.baseDelayMs) || !nonNegative(policy.maxDelayMs) || !nonNegative(policy.budgetMs)) {
    throw new RangeError("retry policy: delays and budget must be finite and ≥ 0");
  }
}

function clampUnit(x: number): number {
  return Number.isFinite(x) ? Math.min(Math.max(x, 0), 1) : 0;
}
