import fc from "fast-check";
import { defaultSliceLimits, planSlices, sliceTaskId } from "../../functions/src/push/domain/slices";

const group = (n: number, devices: number, prefix = "u") => ({
  uids: Array.from({ length: n }, (_, i) => `${prefix}${i}`),
  devices,
});

describe("planSlices", () => {
  it("packs whole groups, in order, up to 500 devices a slice", () => {
    const groups = [group(30, 200, "a"), group(30, 250, "b"), group(30, 100, "c"), group(5, 60, "d")];
    const slices = planSlices(groups);
    expect(slices.map((s) => s.devices)).toEqual([450, 160]);
    expect(slices.map((s) => s.index)).toEqual([0, 1]);
    expect(slices[0]?.uids).toEqual([...(groups[0]?.uids ?? []), ...(groups[1]?.uids ?? [])]);
  });

  it("keeps groups without devices: their recipients still get their feed items", () => {
    expect(planSlices([group(2, 0, "a"), group(1, 0, "b")])).toEqual([
      { index: 0, uids: ["a0", "a1", "b0"], devices: 0 },
    ]);
    expect(planSlices([group(1, 0, "a"), group(2, 3, "b")])).toEqual([
      { index: 0, uids: ["a0", "b0", "b1"], devices: 3 },
    ]);
    expect(planSlices([group(0, 0, "a")])).toEqual([]);
  });

  it("bounds the recipients of a slice even when they have few devices", () => {
    const slices = planSlices(Array.from({ length: 50 }, (_, g) => group(30, 1, `g${g}-`)));
    expect(slices.every((s) => s.uids.length <= defaultSliceLimits.maxUids)).toBe(true);
    expect(slices.map((s) => s.uids.length)).toEqual([600, 600, 300]);
  });

  it("never splits a group, even one above the limit", () => {
    expect(planSlices([group(30, 700)], { maxDevices: 500, maxUids: 600 })).toEqual([
      { index: 0, uids: group(30, 700).uids, devices: 700 },
    ]);
  });

  it.each([0, -1, 1.5])("refuses a limit of %p", (limit) => {
    expect(() => planSlices([], { maxDevices: limit, maxUids: 10 })).toThrow(RangeError);
    expect(() => planSlices([], { maxDevices: 10, maxUids: limit })).toThrow(RangeError);
  });

  it("keeps every recipient exactly once, and every slice within the limits", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 200 }), (counts) => {
        const groups = counts.map((devices, g) => group(30, devices, `g${g}-`));
        const slices = planSlices(groups);
        const expected = groups.flatMap((g) => g.uids);
        expect(slices.flatMap((s) => s.uids)).toEqual(expected);
        expect(slices.reduce((n, s) => n + s.devices, 0)).toBe(counts.reduce((n, c) => n + c, 0));
        for (const [i, s] of slices.entries()) {
          expect(s.index).toBe(i);
          expect(s.devices).toBeLessThanOrEqual(defaultSliceLimits.maxDevices);
          expect(s.uids.length).toBeLessThanOrEqual(defaultSliceLimits.maxUids);
        }
        // Greedy packing: no two neighbours would have fitted in one slice.
        for (let i = 1; i < slices.length; i++) {
          const [a, b] = [slices[i - 1], slices[i]];
          if (!a || !b) continue;
          const firstGroupOfB = groups.find((g) => g.uids[0] === b.uids[0]);
          expect(
            a.devices + (firstGroupOfB?.devices ?? 0) > defaultSliceLimits.maxDevices ||
              a.uids.length + (firstGroupOfB?.uids.length ?? 0) > defaultSliceLimits.maxUids,
          ).toBe(true);
        }
      }),
    );
  });
});

describe("sliceTaskId", () => {
  it("is the same for the same event and slice, and differs otherwise", () => {
    expect(sliceTaskId("event-1", 0)).toBe(sliceTaskId("event-1", 0));
    expect(sliceTaskId("event-1", 0)).not.toBe(sliceTaskId("event-1", 1));
    expect(sliceTaskId("event-1", 0)).not.toBe(sliceTaskId("event-2", 0));
  });

  it("is a valid Cloud Tasks task id whatever the event id holds", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), fc.nat({ max: 100_000 }), (eventId, index) => {
        const id = sliceTaskId(eventId, index);
        expect(id).toMatch(/^[A-Za-z0-9_-]{1,500}$/);
        expect(id.endsWith(`-${index}`)).toBe(true);
      }),
    );
  });

  it("does not let two events share a task id by their characters alone", () => {
    // Copying the event id with invalid characters replaced would make these two collide.
    expect(sliceTaskId("a/b", 0)).not.toBe(sliceTaskId("a_b", 0));
  });

  it.each([-1, 1.5, Number.NaN])("refuses an index of %p", (index) => {
    expect(() => sliceTaskId("event", index)).toThrow(RangeError);
  });
});
