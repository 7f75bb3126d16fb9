/** The FCM emulator's fault switch. */
import { FaultSwitch, parseFault } from "../../fcm-emulator/src/faults";
import { faultAnswer } from "../../fcm-emulator/src/fcmErrors";

describe("parseFault", () => {
  it.each([
    [
      { status: 429, count: 2, retryAfterSeconds: 1 },
      { fault: { kind: "status", status: 429, retryAfterSeconds: 1 }, remaining: 2 },
    ],
    [
      { status: 503, count: 1 },
      { fault: { kind: "status", status: 503 }, remaining: 1 },
    ],
    [
      { kind: "status", status: 401, count: 1 },
      { fault: { kind: "status", status: 401 }, remaining: 1 },
    ],
    [
      { kind: "reset", count: 3 },
      { fault: { kind: "reset" }, remaining: 3 },
    ],
  ])("arms %j", (body, armed) => {
    expect(parseFault(body)).toEqual({ ok: true, armed });
  });

  it.each([
    null,
    { status: 429 },
    { status: 429, count: 0 },
    { status: 429, count: 1.5 },
    { status: 404, count: 1 },
    { status: "429", count: 1 },
    { status: 503, count: 1, retryAfterSeconds: -1 },
    { kind: "hang", count: 1 },
  ])("refuses %j", (body) => {
    expect(parseFault(body).ok).toBe(false);
  });
});

describe("FaultSwitch", () => {
  it("hands out the fault count times, then nothing", () => {
    const faults = new FaultSwitch();
    faults.arm({ fault: { kind: "reset" }, remaining: 2 });

    expect([faults.take(), faults.take(), faults.take()]).toEqual([
      { kind: "reset" },
      { kind: "reset" },
      undefined,
    ]);
    expect(faults.current()).toBeUndefined();
  });

  it("replaces an armed fault and clears", () => {
    const faults = new FaultSwitch();
    faults.arm({ fault: { kind: "reset" }, remaining: 5 });
    faults.arm({ fault: { kind: "status", status: 500 }, remaining: 1 });

    expect(faults.current()).toEqual({ fault: { kind: "status", status: 500 }, remaining: 1 });
    faults.clear();
    expect(faults.take()).toBeUndefined();
  });
});

describe("faultAnswer", () => {
  it.each([
    [401, "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR"],
    [429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"],
    [500, "INTERNAL", "INTERNAL"],
    [503, "UNAVAILABLE", "UNAVAILABLE"],
  ] as const)("answers %i as FCM does: %s / %s", (status, rpcStatus, errorCode) => {
    expect(faultAnswer(status)).toMatchObject({
      httpStatus: status,
      body: {
        error: {
          code: status,
          status: rpcStatus,
          details: [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode }],
        },
      },
    });
  });
});
