import { errorText } from "../shared/errorText";
import { grpcCodeOf, grpcStatus } from "../shared/grpc";

/**
 * What became of one device the prune tried to delete:
 * - `deleted`: gone, for the reason it was selected;
 * - `changed`: the document was updated (re-registered, say) or removed after the prune read it, so its
 *   `lastUpdateTime` precondition failed and it was left alone: a skip, not an error;
 * - `failed`: any other error, after the retries it deserved.
 */
export type DeleteResult =
  { outcome: "deleted" } | { outcome: "changed" } | { outcome: "failed"; error: string };

/** The result of a delete that ended with `error` (a BulkWriterError, whose `code` is a gRPC status). */
export function deleteResultOf(error: unknown): DeleteResult {
  switch (grpcCodeOf(error)) {
    case grpcStatus.FAILED_PRECONDITION:
    case grpcStatus.NOT_FOUND:
      return { outcome: "changed" };
    default:
      return { outcome: "failed", error: errorText(error) };
  }
}
