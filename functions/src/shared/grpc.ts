/** The gRPC status codes (google.rpc.Code) Firestore reports as `error.code`: the one list of them. */
export const grpcStatus = {
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** The numeric `code` of a Firestore error (a BulkWriterError, a failed write), or -1 for anything else. */
export function grpcCodeOf(error: unknown): number {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "number" ? code : -1;
}

export function hasGrpcCode(error: unknown, code: number): boolean {
  return grpcCodeOf(error) === code;
}
