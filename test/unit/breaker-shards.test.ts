// The credential breaker's sharded counter (functions/src/push/store/breakerStore.ts) is sized for
// the peak send rate the params allow by default, at Firestore's sustained ~1 write a second per document.
import { declaredParams } from "firebase-functions/params";
import { BREAKER_SHARD_COUNT } from "../../functions/src/push/store/breakerStore";

const defaultOf = (name: string): number => {
  const param = declaredParams.find((p) => p.name === name) as { options?: { default?: number } } | undefined;
  const value = param?.options?.default;
  if (typeof value !== "number") throw new Error(`${name} has no numeric default`);
  return value;
};

describe("the breaker's shards", () => {
  it("take at most one write a second each when every slice and every direct send counts at once", () => {
    // A slice counts once per dispatch; a direct send (one trigger instance) about once a second.
    const peakWritesPerSecond =
      defaultOf("PUSH_TASKS_MAX_DISPATCHES_PER_SECOND") + defaultOf("COMMENT_TRIGGER_MAX_INSTANCES");
    expect(BREAKER_SHARD_COUNT).toBeGreaterThanOrEqual(peakWritesPerSecond);
  });
});
