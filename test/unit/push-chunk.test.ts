import { chunk, FCM_MAX_BATCH, mapWithConcurrency } from "../../functions/src/shared/batches";

describe("chunk", () => {
  it("splits 1001 items into 500, 500 and 1, order kept", () => {
    const items = Array.from({ length: 1001 }, (_, i) => i);
    const batches = chunk(items, FCM_MAX_BATCH);
    expect(batches.map((b) => b.length)).toEqual([500, 500, 1]);
    expect(batches.flat()).toEqual(items);
  });

  it("gives no batch for no items, and one for exactly a batch", () => {
    expect(chunk([], 500)).toEqual([]);
    expect(
      chunk(
        Array.from({ length: 500 }, () => "x"),
        500,
      ).length,
    ).toBe(1);
  });

  it.each([0, -1, 1.5, Number.NaN])("refuses a size of %p", (size) => {
    expect(() => chunk([1], size)).toThrow(RangeError);
  });
});

describe("mapWithConcurrency", () => {
  /** A task per item that finishes when the test says so, so in-flight counts are exact. */
  function gatedTasks() {
    let inFlight = 0;
    let maxInFlight = 0;
    const release: (() => void)[] = [];
    const fn = async (item: number) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((resolve) => release.push(resolve));
      inFlight--;
      return item * 10;
    };
    return { fn, release, max: () => maxInFlight, inFlight: () => inFlight };
  }

  const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

  it("keeps at most `limit` calls in flight and returns results in input order", async () => {
    const tasks = gatedTasks();
    const done = mapWithConcurrency([1, 2, 3, 4, 5], 2, tasks.fn);
    for (let i = 0; i < 5; i++) {
      await flush();
      expect(tasks.inFlight()).toBeLessThanOrEqual(2);
      tasks.release.pop()?.(); // finish the newest first, to scramble completion order
    }
    await expect(done).resolves.toEqual([10, 20, 30, 40, 50]);
    expect(tasks.max()).toBe(2);
  });

  it("handles no items", async () => {
    await expect(mapWithConcurrency([], 3, () => Promise.resolve(1))).resolves.toEqual([]);
  });

  it("rejects with the first error and starts nothing after it", async () => {
    const started: number[] = [];
    const result = mapWithConcurrency([1, 2, 3, 4], 1, async (item) => {
      started.push(item);
      await Promise.resolve();
      if (item === 2) throw new Error("boom");
      return item;
    });
    await expect(result).rejects.toThrow("boom");
    expect(started).toEqual([1, 2]);
  });

  it.each([0, 1.5])("refuses a limit of %p", async (limit) => {
    await expect(mapWithConcurrency([1], limit, () => Promise.resolve(1))).rejects.toThrow(RangeError);
  });
});
