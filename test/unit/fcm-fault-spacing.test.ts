/** The FCM emulator's partial outages: a fault armed with `every: k` fails only every k-th send request. */
import { FaultSwitch, parseFault } from "../../fcm-emulator/src/faults";

describe("parseFault with every", () => {
  it.each([
    [
      { status: 503, count: 4, every: 2 },
      { fault: { kind: "status", status: 503 }, remaining: 4, every: 2 },
    ],
    [
      { status: 429, count: 1, retryAfterSeconds: 1, every: 3 },
      { fault: { kind: "status", status: 429, retryAfterSeconds: 1 }, remaining: 1, every: 3 },
    ],
    [
      { kind: "reset", count: 2, every: 2 },
      { fault: { kind: "reset" }, remaining: 2, every: 2 },
    ],
    // every: 1 is the plain fault.
    [
      { status: 500, count: 2, every: 1 },
      { fault: { kind: "status", status: 500 }, remaining: 2 },
    ],
  ])("arms %j", (body, armed) => {
    expect(parseFault(body)).toEqual({ ok: true, armed });
  });

  it.each([
    { status: 503, count: 1, every: 0 },
    { status: 503, count: 1, every: -2 },
    { status: 503, count: 1, every: 1.5 },
    { status: 503, count: 1, every: "2" },
    { kind: "reset", count: 1, every: null },
  ])("refuses %j", (body) => {
    expect(parseFault(body)).toMatchObject({ ok: false, problem: "every must be a positive integer" });
  });
});

describe("FaultSwitch with every", () => {
  it("fails the 1st, 3rd, 5th... request with every: 2, until count failures were handed out", () => {
    const faults = new FaultSwitch();
    faults.arm({ fault: { kind: "status", status: 500 }, remaining: 3, every: 2 });

    const taken = Array.from({ length: 8 }, () => faults.take()?.kind ?? "ok");

    expect(taken).toEqual(["status", "ok", "status", "ok", "status", "ok", "ok", "ok"]);
    expect(faults.current()).toBeUndefined();
  });

  it("shows the remaining failures while armed", () => {
    const faults = new FaultSwitch();
    faults.arm({ fault: { kind: "reset" }, remaining: 2, every: 3 });

    faults.take();
    faults.take();

    expect(faults.current()).toEqual({ fault: { kind: "reset" }, remaining: 1, every: 3 });
  });

  it("starts counting afresh when a fault is armed again", () => {
    const faults = new FaultSwitch();
    faults.arm({ fault: { kind: "reset" }, remaining: 5, every: 2 });
    faults.take();
    faults.arm({ fault: { kind: "reset" }, remaining: 5, every: 2 });

    expect(faults.take()).toEqual({ kind: "reset" });
  });
});
