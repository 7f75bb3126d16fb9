import { DAY_MS, isStale, staleCutoffMillis } from "../../functions/src/prune/cutoff";

const NOW = Date.UTC(2026, 10, 23, 3, 0, 0);

describe("staleCutoffMillis", () => {
  it("is exactly staleDays whole days before now", () => {
    expect(staleCutoffMillis(NOW, 30)).toBe(Date.UTC(2026, 9, 24, 3, 0, 0));
    expect(staleCutoffMillis(NOW, 1)).toBe(NOW - DAY_MS);
    expect(staleCutoffMillis(NOW, 365)).toBe(NOW - 365 * DAY_MS);
  });
});

describe("isStale: older than the cutoff, exclusive", () => {
  const cutoff = staleCutoffMillis(NOW, 30);

  it("keeps a device seen 29 days ago", () => {
    expect(isStale(NOW - 29 * DAY_MS, cutoff)).toBe(false);
  });

  it("keeps a device seen exactly 30 days ago", () => {
    expect(isStale(NOW - 30 * DAY_MS, cutoff)).toBe(false);
  });

  it("deletes a device seen 30 days and one millisecond ago", () => {
    expect(isStale(NOW - 30 * DAY_MS - 1, cutoff)).toBe(true);
  });

  it("deletes a device seen 31 days ago", () => {
    expect(isStale(NOW - 31 * DAY_MS, cutoff)).toBe(true);
  });
});
