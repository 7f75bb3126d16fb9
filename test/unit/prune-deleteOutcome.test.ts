import { deleteResultOf } from "../../functions/src/prune/deleteOutcome";
import { MAX_WRITE_ATTEMPTS, shouldRetryWrite } from "../../functions/src/shared/bulkWrites";
import { grpcStatus } from "../../functions/src/shared/grpc";

/** A write error as BulkWriter reports it: a gRPC status `code` beside the message. */
const failure = (code: number, message: string) => Object.assign(new Error(message), { code });

describe("deleteResultOf", () => {
  it("counts a failed precondition as changed since read, not as an error", () => {
    expect(deleteResultOf(failure(grpcStatus.FAILED_PRECONDITION, "precondition"))).toEqual({
      outcome: "changed",
    });
  });

  it("counts a document already gone as changed", () => {
    expect(deleteResultOf(failure(grpcStatus.NOT_FOUND, "gone"))).toEqual({ outcome: "changed" });
  });

  it("counts anything else as failed, keeping the status and message", () => {
    expect(deleteResultOf(failure(grpcStatus.UNAVAILABLE, "try later"))).toEqual({
      outcome: "failed",
      error: "14: try later",
    });
    expect(deleteResultOf(failure(7, "denied"))).toEqual({ outcome: "failed", error: "7: denied" });
  });
});

describe("shouldRetryWrite", () => {
  it("never retries a failed precondition", () => {
    expect(shouldRetryWrite(grpcStatus.FAILED_PRECONDITION, 1)).toBe(false);
  });

  it("retries transient errors a bounded number of times", () => {
    for (const code of [
      grpcStatus.UNAVAILABLE,
      grpcStatus.ABORTED,
      grpcStatus.RESOURCE_EXHAUSTED,
      grpcStatus.INTERNAL,
      grpcStatus.DEADLINE_EXCEEDED,
    ]) {
      expect(shouldRetryWrite(code, 1)).toBe(true);
      expect(shouldRetryWrite(code, MAX_WRITE_ATTEMPTS - 1)).toBe(true);
      expect(shouldRetryWrite(code, MAX_WRITE_ATTEMPTS)).toBe(false);
    }
  });

  it("does not retry permanent errors", () => {
    expect(shouldRetryWrite(grpcStatus.NOT_FOUND, 1)).toBe(false);
    expect(shouldRetryWrite(7, 1)).toBe(false);
    expect(shouldRetryWrite(3, 1)).toBe(false);
  });
});
