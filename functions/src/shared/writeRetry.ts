import { grpcCodeOf } from "./grpc";
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
