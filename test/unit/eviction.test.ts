import { devicesToEvict } from "../../functions/src/devices/eviction";

const devices = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ id: `d${i}`, lastSeenMillis: 1_000 + i }));

describe("devicesToEvict", () => {
  it("evicts nothing while the user stays within the limit", () => {
    expect(devicesToEvict([], 10)).toEqual([]);
    expect(devicesToEvict(devices(9), 10)).toEqual([]);
  });

  it("evicts the least recently seen when the new device would be the 11th", () => {
    const others = devices(10).reverse();
    expect(devicesToEvict(others, 10)).toEqual(["d0"]);
  });

  it("brings a user who is over the limit back to it", () => {
    expect(devicesToEvict(devices(12), 10)).toEqual(["d0", "d1", "d2"]);
  });

  it("breaks ties by id", () => {
    const tied = ["b", "a", "c"].map((id) => ({ id, lastSeenMillis: 5 }));
    expect(devicesToEvict(tied, 2)).toEqual(["a", "b"]);
  });

  it("does not reorder its input", () => {
    const others = devices(11).reverse();
    const before = others.map((d) => d.id);
    devicesToEvict(others, 10);
    expect(others.map((d) => d.id)).toEqual(before);
  });
});
