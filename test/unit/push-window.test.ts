// The coalescing window decision (functions/src/push/kinds/comment/coalesce/window.ts).
import {
  decideWindow,
  MAX_WINDOWS_KEPT,
  withWindow,
  type PushWindow,
} from "../../functions/src/push/kinds/comment/coalesce/window";

const W = 10_000;
const window = (windowId: string, opensAt: number, after = opensAt - W): PushWindow => ({
  windowId,
  after,
  opensAt,
  closesAt: opensAt + W,
});

describe("decideWindow", () => {
  it("is off with a window of 0", () => {
    expect(decideWindow([window("a", 1_000)], { commentId: "b", createdAt: 2_000 }, 0)).toEqual({
      kind: "off",
    });
  });

  it("opens the first window at the comment, reaching back one window length", () => {
    expect(decideWindow([], { commentId: "a", createdAt: 50_000 }, W)).toEqual({
      kind: "open",
      window: { windowId: "a", after: 40_000, opensAt: 50_000, closesAt: 60_000 },
    });
  });

  it("folds a comment inside the window, its end included", () => {
    const open = window("a", 50_000);
    for (const createdAt of [50_001, 55_000, 60_000]) {
      expect(decideWindow([open], { commentId: "b", createdAt }, W)).toEqual({
        kind: "coalesced",
        window: open,
      });
    }
  });

  it("folds a comment written just before the opener whose trigger ran after it", () => {
    const open = window("a", 50_000);
    expect(decideWindow([open], { commentId: "b", createdAt: 49_990 }, W)).toEqual({
      kind: "coalesced",
      window: open,
    });
  });

  it("tells the opener's own retry to fan out, even after a newer window opened", () => {
    const older = window("a", 50_000);
    const newer = window("c", 70_000, 60_000);
    expect(decideWindow([older], { commentId: "a", createdAt: 50_000 }, W)).toEqual({ kind: "opener" });
    expect(decideWindow([newer, older], { commentId: "a", createdAt: 50_000 }, W)).toEqual({
      kind: "opener",
    });
  });

  it("opens the next window after the newest one's end, reaching back to it at most", () => {
    const open = window("a", 50_000);
    expect(decideWindow([open], { commentId: "b", createdAt: 60_001 }, W)).toEqual({
      kind: "open",
      window: { windowId: "b", after: 60_000, opensAt: 60_001, closesAt: 70_001 },
    });
  });

  it("finds a late trigger's own window among the kept ones", () => {
    const older = window("a", 50_000);
    const newer = window("c", 65_000, 60_000);
    expect(decideWindow([newer, older], { commentId: "b", createdAt: 58_000 }, W)).toEqual({
      kind: "coalesced",
      window: older,
    });
  });

  it("fans out a comment between two kept windows, and sends nothing for one older than all", () => {
    const older = window("a", 50_000);
    const newer = window("c", 100_000); // after = 90,000: a gap from 60,000 to 90,000
    expect(decideWindow([newer, older], { commentId: "b", createdAt: 70_000 }, W)).toEqual({
      kind: "unwindowed",
    });
    expect(decideWindow([newer, older], { commentId: "b", createdAt: 30_000 }, W)).toEqual({
      kind: "too-late",
    });
  });
});

describe("withWindow", () => {
  it("keeps the newest windows first, at most MAX_WINDOWS_KEPT", () => {
    let kept: PushWindow[] = [];
    for (let i = 0; i < MAX_WINDOWS_KEPT + 5; i++) kept = withWindow(kept, window(`w${i}`, i * 2 * W));
    expect(kept).toHaveLength(MAX_WINDOWS_KEPT);
    expect(kept[0]?.windowId).toBe(`w${MAX_WINDOWS_KEPT + 4}`);
  });
});
