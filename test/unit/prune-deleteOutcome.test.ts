import {
  deleteResultOf,
  grpcStatus,
  MAX_DELETE_ATTEMPTS,
  shouldRetryDelete,
} from "../../functions/src/prune/deleteOutcome";

describe("deleteResultOf", () => {
  it("counts a failed precondition as changed since read, not as an error", () => {
    expect(deleteResultOf(grpcStatus.FAILED_PRECONDITION, "precondition")).toEqual({ outcome: "changed" });
  });

  it("counts a document already gone as changed", () => {
    expect(deleteResultOf(grpcStatus.NOT_FOUND, "gone")).toEqual({ outcome: "changed" });
  });

  it("counts anything else as failed, keeping the status and message", () => {
    expect(deleteResultOf(grpcStatus.UNAVAILABLE, "try later")).toEqual({
      outcome: "failed",
      error: "14: try later",
    });
    expect(deleteResultOf(7, "denied")).toEqual({ outcome: "failed", error: "7: denied" });
  });
});

describe("shouldRetryDelete", () => {
  it("never retries a failed precondition", () => {
    expect(shouldRetryDelete(grpcStatus.FAILED_PRECONDITION, 1)).toBe(false);
  });

  it("retries transient errors a bounded number of times", () => {
    for (const code of [
      grpcStatus.UNAVAILABLE,
      grpcStatus.ABORTED,
      grpcStatus.RESOURCE_EXHAUSTED,
      grpcStatus.INTERNAL,
      grpcStatus.DEADLINE_EXCEEDED,
    ]) {
      expect(shouldRetryDelete(code, 1)).toBe(true);
      expect(shouldRetryDelete(code, MAX_DELETE_ATTEMPTS - 1)).toBe(true);
      expect(shouldRetryDelete(code, MAX_DELETE_ATTEMPTS)).toBe(false);
    }
  });

  it("does not retry permanent errors", () => {
    expect(shouldRetryDelete(grpcStatus.NOT_FOUND, 1)).toBe(false);
    expect(shouldRetryDelete(7, 1)).toBe(false);
    expect(shouldRetryDelete(3, 1)).toBe(false);
  });
});
