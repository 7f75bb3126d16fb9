/** The gRPC status codes a preconditioned delete can end with (google.rpc.Code). */
export const grpcStatus = {
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** How many attempts a delete gets for a transient error before it counts as failed (BulkWriter's own limit). */
export const MAX_DELETE_ATTEMPTS = 10;

/**
 * What became of one device the prune tried to delete:
 * - `deleted`: gone, for the reason it was selected;
 * - `changed`: the document was updated (re-registered, say) or removed after the prune read it, so its
 *   `lastUpdateTime` precondition failed and it was left alone: a skip, not an error;
 * - `failed`: any other error, after the retries it deserved.
 */
export type DeleteResult =
  { outcome: "deleted" } | { outcome: "changed" } | { outcome: "failed"; error: string };

/** The result of a delete that ended with gRPC status `code`. */
export function deleteResultOf(code: number, message: string): DeleteResult {
  switch (code) {
    case grpcStatus.FAILED_PRECONDITION:
    case grpcStatus.NOT_FOUND:
      return { outcome: "changed" };
    default:
      return { outcome: "failed", error: `${code}: ${message}` };
  }
}

/**
 * Whether BulkWriter should try a failed delete again. Never on a failed precondition: the document
 * changed since it was read, and retrying would fail the same way (or, worse, delete a live device had the
 * precondition been dropped). Transient errors are retried, with BulkWriter's backoff, a bounded number of times.
 */
export function shouldRetryDelete(code: number, failedAttempts: number): boolean {
  switch (code) {
    case grpcStatus.DEADLINE_EXCEEDED:
    case grpcStatus.RESOURCE_EXHAUSTED:
    case grpcStatus.ABORTED:
    case grpcStatus.INTERNAL:
    case grpcStatus.UNAVAILABLE:
      return failedAttempts < MAX_DELETE_ATTEMPTS;
    default:
      return false;
  }
}
