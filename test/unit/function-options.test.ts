// The options each function deploys with (what firebase-tools reads from `__endpoint`): the shared region
// and memory from functions/src/params.ts, and each function's own.
import * as deployed from "../../functions/src/index";

type Endpoint = {
  region?: string[];
  availableMemoryMb?: number;
  timeoutSeconds?: number | null;
  maxInstances?: number | null;
  eventTrigger?: { retry?: boolean; eventFilterPathPatterns?: { document?: string } };
  taskQueueTrigger?: { retryConfig?: { maxAttempts?: number }; rateLimits?: Record<string, unknown> };
  scheduleTrigger?: { schedule?: string; timeZone?: string };
  callableTrigger?: object;
};

const endpointOf = (fn: unknown): Endpoint => (fn as { __endpoint: Endpoint }).__endpoint;

describe("the deployed functions' options", () => {
  it("puts every function in us-central1", () => {
    expect(Object.keys(deployed).sort()).toEqual([
      "markNotificationsRead",
      "onCommentCreated",
      "onFollowerCreated",
      "onPushRequestCreated",
      "pruneDevices",
      "registerDevice",
      "sendCommentDigest",
      "sendPushSlice",
      "setNotificationPreferences",
      "sweepDeliveries",
      "unregisterDevice",
    ]);
    for (const fn of Object.values(deployed)) expect(endpointOf(fn).region).toEqual(["us-central1"]);
  });

  it("gives the pipeline and the prune 512MiB, the callables the SDK's default", () => {
    expect(endpointOf(deployed.onCommentCreated).availableMemoryMb).toBe(512);
    expect(endpointOf(deployed.sendPushSlice).availableMemoryMb).toBe(512);
    expect(endpointOf(deployed.pruneDevices).availableMemoryMb).toBe(512);
    expect(endpointOf(deployed.registerDevice)).toMatchObject({
      availableMemoryMb: 256,
      callableTrigger: {},
    });
    expect(endpointOf(deployed.unregisterDevice)).toMatchObject({
      availableMemoryMb: 256,
      callableTrigger: {},
    });
    expect(endpointOf(deployed.setNotificationPreferences)).toMatchObject({
      availableMemoryMb: 256,
      callableTrigger: {},
    });
  });

  it("retries the trigger (the gate makes it safe) within the longest event timeout", () => {
    expect(endpointOf(deployed.onCommentCreated)).toMatchObject({
      timeoutSeconds: 540,
      eventTrigger: {
        retry: true,
        eventFilterPathPatterns: { document: "posts/{postId}/comments/{commentId}" },
      },
    });
    // A param, so a flood cannot scale the trigger past what FCM's quota can take.
    expect(String(endpointOf(deployed.onCommentCreated).maxInstances)).toBe(
      "params.COMMENT_TRIGGER_MAX_INSTANCES",
    );
  });

  it("sends digests as tasks that may wait out their window, with bounded retries", () => {
    expect(endpointOf(deployed.sendCommentDigest)).toMatchObject({
      timeoutSeconds: 540,
      availableMemoryMb: 512,
      taskQueueTrigger: { retryConfig: { maxAttempts: 8 } },
    });
  });

  it("rate-limits the slice tasks with params, and bounds their retries", () => {
    expect(endpointOf(deployed.sendPushSlice)).toMatchObject({
      timeoutSeconds: 300,
      taskQueueTrigger: {
        retryConfig: { maxAttempts: 12 },
      },
    });
    const { rateLimits = {} } = endpointOf(deployed.sendPushSlice).taskQueueTrigger ?? {};
    expect(
      Object.fromEntries(Object.entries(rateLimits).map(([key, value]) => [key, String(value)])),
    ).toEqual({
      maxDispatchesPerSecond: "params.PUSH_TASKS_MAX_DISPATCHES_PER_SECOND",
      maxConcurrentDispatches: "params.PUSH_TASKS_MAX_CONCURRENT_DISPATCHES",
    });
  });

  it("sweeps deliveries every 10 minutes, one run at a time", () => {
    expect(endpointOf(deployed.sweepDeliveries)).toMatchObject({
      maxInstances: 1,
      scheduleTrigger: { schedule: "every 10 minutes", timeZone: "Etc/UTC" },
    });
  });

  it("prunes daily, one run at a time, for up to 30 minutes", () => {
    expect(endpointOf(deployed.pruneDevices)).toMatchObject({
      timeoutSeconds: 1800,
      maxInstances: 1,
      scheduleTrigger: { schedule: "every day 03:00", timeZone: "Etc/UTC" },
    });
  });
});
