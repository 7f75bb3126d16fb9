import { grpcStatus } from "./grpc";

/** How many attempts a BulkWriter write gets for a transient error before it counts as failed (BulkWriter's own limit). */
export const MAX_WRITE_ATTEMPTS = 10;

/**
 * Whether BulkWriter should try a failed write again (its `onWriteError`). Never on a failed precondition:
 * the document changed since it was read, and retrying would fail the same way (or, worse, delete or mark a
 * live device had the precondition been dropped). Transient errors are retried, with BulkWriter's backoff,
 * a bounded number of times.
 */
export function shouldRetryWrite(code: number, failedAttempts: number): boolean {
  switch (code) {
    case grpcStatus.DEADLINE_EXCEEDED:
    case grpcStatus.RESOURCE_EXHAUSTED:
    case grpcStatus.ABORTED:
    case grpcStatus.INTERNAL:
    case grpcStatus.UNAVAILABLE:
      return failedAttempts < MAX_WRITE_ATTEMPTS;
    default:
      return false;
  }
}
