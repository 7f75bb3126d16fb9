import { DAY_MS, staleCutoffMillis } from "../../functions/src/prune/cutoff";

const NOW = Date.UTC(2026, 10, 23, 3, 0, 0);

describe("staleCutoffMillis", () => {
  it("is exactly staleDays whole days before now", () => {
    expect(staleCutoffMillis(NOW, 30)).toBe(Date.UTC(2026, 9, 24, 3, 0, 0));
    expect(staleCutoffMillis(NOW, 1)).toBe(NOW - DAY_MS);
    expect(staleCutoffMillis(NOW, 365)).toBe(NOW - 365 * DAY_MS);
  });
});
