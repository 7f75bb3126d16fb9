import { pageSizeFor, parsePruneSettings } from "../../functions/src/prune/settings";

describe("parsePruneSettings", () => {
  it("accepts the defaults and both ends of each range", () => {
    for (const settings of [
      { staleDays: 30, maxWritesPerSecond: 500 },
      { staleDays: 1, maxWritesPerSecond: 1 },
      { staleDays: 365, maxWritesPerSecond: 10_000 },
    ]) {
      expect(parsePruneSettings(settings)).toEqual({ ok: true, settings });
    }
  });

  it.each([
    [0, "TOKEN_STALE_DAYS must be at least 1 day (got 0)"],
    [366, "TOKEN_STALE_DAYS must be at most 365 days (got 366)"],
    [-30, "TOKEN_STALE_DAYS must be at least 1 day (got -30)"],
    [1.5, "TOKEN_STALE_DAYS must be a whole number of days (got 1.5)"],
  ])("refuses TOKEN_STALE_DAYS = %p, saying why", (staleDays, problem) => {
    expect(parsePruneSettings({ staleDays, maxWritesPerSecond: 500 })).toEqual({ ok: false, problem });
  });

  it("refuses a write rate outside 1..10000", () => {
    expect(parsePruneSettings({ staleDays: 30, maxWritesPerSecond: 0 })).toEqual({
      ok: false,
      problem: "PRUNE_MAX_WRITES_PER_SECOND must be at least 1 (got 0)",
    });
    expect(parsePruneSettings({ staleDays: 30, maxWritesPerSecond: 10_001 })).toEqual({
      ok: false,
      problem: "PRUNE_MAX_WRITES_PER_SECOND must be at most 10000 (got 10001)",
    });
  });

  it("names every problem at once", () => {
    const parsed = parsePruneSettings({ staleDays: 0, maxWritesPerSecond: 0 });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.problem).toContain("TOKEN_STALE_DAYS");
      expect(parsed.problem).toContain("PRUNE_MAX_WRITES_PER_SECOND");
    }
  });
});

describe("pageSizeFor", () => {
  it("reads 500 at a time at the default rate and above", () => {
    expect(pageSizeFor(500)).toBe(500);
    expect(pageSizeFor(10_000)).toBe(500);
  });

  it("reads no more than a second's worth of deletes at a low rate", () => {
    expect(pageSizeFor(50)).toBe(50);
    expect(pageSizeFor(1)).toBe(1);
  });
});
