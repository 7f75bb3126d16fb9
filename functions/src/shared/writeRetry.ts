import { grpcCodeOf, grpcStatus } from "./grpc";
import { shouldRetryWrite } from "./bulkWrites";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `commit` (one batch) again on a transient error, by `shouldRetryWrite`'s rule, at most `attempts` times
 * with jittered backoff; a failed precondition or any other error is thrown at once.
 */
export async function retryTransient(commit: () => Promise<unknown>, attempts = 5): Promise<void> {
  for (let n = 1; ; n++) {
    try {
      await commit();
      return;
    } catch (error) {
      if (n >= attempts || !shouldRetryWrite(grpcCodeOf(error), n)) throw error;
      await sleep(Math.random() * 50 * 2 ** n);
    }
  }
}

/**
 * Attempts of one optimistic write (read, then a batch preconditioned on what was read) before the call
 * fails. Only a concurrent write to the same documents makes one fail; 50 calls racing on one token
 * (test/integration/devices.test.ts) settle within a few each.
 */
const RACED_ATTEMPTS = 25;
const RACED_BACKOFF_MS = 20;

/**
 * Runs `attempt` (read, then one preconditioned batch) until its batch commits: a batch built on a read
 * that another call has overtaken fails whole (FAILED_PRECONDITION, or ALREADY_EXISTS for a create), and
 * is read and built again after a short random wait.
 */
export async function retryRaced<T>(attempt: (n: number) => Promise<T>): Promise<T> {
  const { ABORTED, ALREADY_EXISTS, FAILED_PRECONDITION } = grpcStatus;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const status = grpcCodeOf(error);
      const raced = status === FAILED_PRECONDITION || status === ALREADY_EXISTS || status === ABORTED;
      if (!raced || n >= RACED_ATTEMPTS) throw error;
      await sleep(Math.random() * RACED_BACKOFF_MS * Math.min(n, 8));
    }
  }
}
