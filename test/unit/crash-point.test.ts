// The drills' crash points (functions/src/push/crashPoint.ts) are inert unless the environment is
// an emulator's of a demo- project and asks for one.
import { crashSwitchOf } from "../../functions/src/push/crashPoint";

const emulator = { FIRESTORE_EMULATOR_HOST: "127.0.0.1:8080", GCLOUD_PROJECT: "demo-push" };

describe("crashSwitchOf", () => {
  it("reads the point and its count in an emulator's environment", () => {
    expect(crashSwitchOf({ ...emulator, PUSH_CRASH_AT: "enqueue:2" })).toEqual({ name: "enqueue", at: 2 });
    expect(crashSwitchOf({ ...emulator, PUSH_CRASH_AT: "after-gate" })).toEqual({
      name: "after-gate",
      at: 1,
    });
  });

  it("is inert without the Firestore emulator, outside a demo- project, or without a request", () => {
    expect(crashSwitchOf({ PUSH_CRASH_AT: "after-gate", GCLOUD_PROJECT: "demo-push" })).toBeUndefined();
    expect(
      crashSwitchOf({ ...emulator, GCLOUD_PROJECT: "my-prod", PUSH_CRASH_AT: "after-gate" }),
    ).toBeUndefined();
    expect(crashSwitchOf({ ...emulator })).toBeUndefined();
    expect(crashSwitchOf({ ...emulator, PUSH_CRASH_AT: "" })).toBeUndefined();
    expect(crashSwitchOf({ ...emulator, PUSH_CRASH_AT: "rm -rf" })).toBeUndefined();
  });
});
