import fc from "fast-check";
import type { Messaging } from "firebase-admin/messaging";
import type { FcmError } from "../../functions/src/push/domain/classify";
import type { CommentPush } from "../../functions/src/push/kinds/comment/compose";
import {
  deliverMessages,
  type DeliveryMessage,
  type DeliveryOptions,
  type PushSender,
  type SendAnswer,
} from "../../functions/src/push/domain/deliver";
import type { RetryPolicy } from "../../functions/src/push/domain/retryPolicy";

/** Per-message errors as firebase-admin 13 reports FCM v1 answers. */
const fcm = {
  unregistered: {
    code: "messaging/registration-token-not-registered",
    message: "Requested entity was not found.",
  },
  invalidToken: {
    code: "messaging/invalid-argument",
    message: "The registration token is not a valid FCM registration token",
  },
  senderIdMismatch: { code: "messaging/mismatched-credential", message: "SenderId mismatch" },
  permissionDenied: {
    code: "messaging/mismatched-credential",
    message: "Permission 'cloudmessaging.messages.create' denied on resource (or it may not exist).",
  },
  invalidPayload: { code: "messaging/invalid-argument", message: "Invalid value at 'message.data[0].value'" },
  quotaExceeded: { code: "messaging/message-rate-exceeded", message: "Quota exceeded." },
  unavailable: { code: "messaging/server-unavailable", message: "The service is currently unavailable." },
  internal: { code: "messaging/internal-error", message: "Internal error encountered." },
  thirdPartyAuth: {
    code: "messaging/third-party-auth-error",
    message: "Auth error from APNS or Web Push Service",
  },
  connectionRefused: { code: "app/network-error", message: "connect ECONNREFUSED. Error code: ECONNREFUSED" },
} satisfies Record<string, FcmError>;

type Msg = { token: string };

/**
 * A stand-in for FCM behind `sendEach`: `answer(token, attempt)` decides each answer (attempt counts from 1
 * per token). It records what FCM accepted, every batch it was handed, and how many batches were in flight.
 */
function fakeFcm(answer: (token: string, attempt: number) => FcmError | undefined = () => undefined) {
  const attempts = new Map<string, number>();
  const accepted: string[] = [];
  const batches: string[][] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const sender: PushSender<Msg> = {
    async sendEach(messages) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      batches.push(messages.map((m) => m.token));
      await new Promise<void>((resolve) => setImmediate(resolve));
      inFlight--;
      const responses: SendAnswer[] = messages.map(({ token }) => {
        const attempt = (attempts.get(token) ?? 0) + 1;
        attempts.set(token, attempt);
        const error = answer(token, attempt);
        if (error === undefined) accepted.push(token);
        return error === undefined ? { success: true } : { success: false, error };
      });
      return { responses };
    },
  };
  return {
    sender,
    accepted,
    batches,
    attemptsOf: (token: string) => attempts.get(token) ?? 0,
    maxInFlight: () => maxInFlight,
  };
}

/** A clock that only moves when the code under test sleeps (or a test says so). */
function fakeClock() {
  let t = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: (ms: number) => {
      sleeps.push(ms);
      t += ms;
      return Promise.resolve();
    },
    advance: (ms: number) => {
      t += ms;
    },
    sleeps,
  };
}

const policy: RetryPolicy = {
  maxAttempts: 4,
  maxAttemptsAfterSdkRetries: 2,
  baseDelayMs: 1_000,
  maxDelayMs: 8_000,
  budgetMs: 30_000,
};

const devices = (n: number, prefix = "valid") =>
  Array.from({ length: n }, (_, i): DeliveryMessage<Msg> => ({
    deviceId: `d-${prefix}-${i}`,
    message: { token: `${prefix}-${i}` },
  }));

function deliver(
  messages: readonly DeliveryMessage<Msg>[],
  sender: PushSender<Msg>,
  clock = fakeClock(),
  extra: Partial<DeliveryOptions<Msg>> = {},
) {
  return deliverMessages({
    messages,
    sender,
    sleep: clock.sleep,
    now: clock.now,
    random: () => 0.5,
    policy,
    ...extra,
  });
}

/** Token prefixes pick FCM's answer, as in the FCM emulator. */
const byPrefix = (token: string): FcmError | undefined => {
  if (token.startsWith("unregistered")) return fcm.unregistered;
  if (token.startsWith("invalid")) return fcm.invalidToken;
  if (token.startsWith("mismatch")) return fcm.senderIdMismatch;
  if (token.startsWith("denied")) return fcm.permissionDenied;
  return undefined;
};

describe("deliverMessages", () => {
  it("sends 1001 messages in sendEach batches of 500, 500 and 1", async () => {
    const fake = fakeFcm();
    const report = await deliver(devices(1001), fake.sender);
    expect(fake.batches.map((b) => b.length)).toEqual([500, 500, 1]);
    expect(report).toMatchObject({
      sent: 1001,
      failed: 0,
      rejected: [],
      retries: 0,
      massRejectionGuardTripped: false,
    });
    expect(new Set(fake.accepted).size).toBe(1001);
  });

  it("keeps at most `concurrency` batches in flight", async () => {
    const fake = fakeFcm();
    await deliver(devices(50), fake.sender, fakeClock(), { batchSize: 5, concurrency: 3 });
    expect(fake.batches).toHaveLength(10);
    expect(fake.maxInFlight()).toBe(3);
  });

  it("does not call FCM when there is nothing to send", async () => {
    const fake = fakeFcm();
    const report = await deliver([], fake.sender);
    expect(fake.batches).toEqual([]);
    expect(report).toMatchObject({ sent: 0, failed: 0, rejected: [], retries: 0 });
  });

  it("a 429 then success: every message is delivered exactly once", async () => {
    const fake = fakeFcm((_token, attempt) => (attempt === 1 ? fcm.quotaExceeded : undefined));
    const clock = fakeClock();
    const report = await deliver(devices(20), fake.sender, clock);
    expect(report).toMatchObject({ sent: 20, failed: 0, retries: 20 });
    expect(fake.accepted.sort()).toEqual(
      devices(20)
        .map((d) => d.message.token)
        .sort(),
    );
    expect(clock.sleeps).toEqual([500]); // one retry round for the batch: full jitter 0.5 × 1000 ms
  });

  it("re-sends only the messages whose answer was retryable, never one FCM accepted", async () => {
    const flaky = new Set(["valid-1", "valid-4"]);
    const fake = fakeFcm((token, attempt) => (flaky.has(token) && attempt < 3 ? fcm.internal : undefined));
    const report = await deliver(devices(6), fake.sender);
    expect(fake.batches).toEqual([
      ["valid-0", "valid-1", "valid-2", "valid-3", "valid-4", "valid-5"],
      ["valid-1", "valid-4"],
      ["valid-1", "valid-4"],
    ]);
    expect(fake.accepted.filter((t) => t === "valid-1")).toHaveLength(1);
    expect(report).toMatchObject({ sent: 6, failed: 0, retries: 4 });
  });

  it("gives up on a persistent 500 after maxAttempts and counts it failed", async () => {
    const fake = fakeFcm((token) => (token === "valid-0" ? fcm.internal : undefined));
    const report = await deliver(devices(3), fake.sender);
    expect(fake.attemptsOf("valid-0")).toBe(4);
    expect(report).toMatchObject({ sent: 2, failed: 1, rejected: [], retries: 3 });
    expect(report.failures.internal?.count).toBe(1);
    expect(report.failures.internal?.example).toMatch(/internal-error.*gave up after 4 attempts/);
  });

  it("sends a 503 that firebase-admin already retried only once more", async () => {
    const fake = fakeFcm(() => fcm.unavailable);
    const report = await deliver(devices(2), fake.sender);
    expect(fake.attemptsOf("valid-0")).toBe(2);
    expect(report).toMatchObject({ sent: 0, failed: 2, retries: 2 });
    expect(report.failures.unavailable?.count).toBe(2);
  });

  it("counts failed what the time budget does not allow to retry", async () => {
    const clock = fakeClock();
    // Each round takes 10 s (say, the SDK's own waits inside sendEach): the budget of 30 s ends it early.
    const fake = fakeFcm(() => fcm.quotaExceeded);
    const slow: PushSender<Msg> = {
      sendEach: async (messages) => {
        clock.advance(10_000);
        return fake.sender.sendEach(messages);
      },
    };
    const report = await deliver(devices(1), slow, clock, { random: () => 0.999 });
    // round 1 at 10 s, wait 1 s; round 2 at 21 s, wait 2 s; round 3 at 33 s: 33 s + 4 s > 30 s.
    expect(fake.attemptsOf("valid-0")).toBe(3);
    expect(report).toMatchObject({ sent: 0, failed: 1, retries: 2 });
    expect(report.failures["rate-limited"]?.example).toMatch(/time budget exhausted after 3 attempts/);
  });

  it("waits at least Retry-After when the sender knows it", async () => {
    const clock = fakeClock();
    let calls = 0;
    const sender: PushSender<Msg> = {
      sendEach: (messages) => {
        calls++;
        return Promise.resolve({
          responses: messages.map(() =>
            calls === 1
              ? { success: false, error: { ...fcm.quotaExceeded, retryAfterMs: 7_000 } }
              : { success: true },
          ),
        });
      },
    };
    const report = await deliver(devices(3), sender, clock);
    expect(clock.sleeps).toEqual([7_000]);
    expect(report.sent).toBe(3);
  });

  it("does not retry ECONNREFUSED forever either", async () => {
    const fake = fakeFcm(() => fcm.connectionRefused);
    const report = await deliver(devices(1), fake.sender);
    expect(fake.attemptsOf("valid-0")).toBe(4);
    expect(report.failures.network?.count).toBe(1);
  });

  it("rejects UNREGISTERED, invalid and mismatched tokens at once, without retrying them", async () => {
    const fake = fakeFcm(byPrefix);
    const messages = [
      ...devices(2, "unregistered"),
      ...devices(1, "invalid"),
      ...devices(1, "mismatch"),
      ...devices(8),
    ];
    const report = await deliver(messages, fake.sender);
    expect(fake.batches).toHaveLength(1);
    expect(report.rejected).toEqual([
      {
        deviceId: "d-unregistered-0",
        reason: "unregistered",
        code: "messaging/registration-token-not-registered",
      },
      {
        deviceId: "d-unregistered-1",
        reason: "unregistered",
        code: "messaging/registration-token-not-registered",
      },
      { deviceId: "d-invalid-0", reason: "invalid-token", code: "messaging/invalid-argument" },
      { deviceId: "d-mismatch-0", reason: "sender-id-mismatch", code: "messaging/mismatched-credential" },
    ]);
    expect(report).toMatchObject({ sent: 8, failed: 0, massRejectionGuardTripped: false });
  });

  it.each([
    ["payload INVALID_ARGUMENT", fcm.invalidPayload, "invalid-payload"],
    ["PERMISSION_DENIED", fcm.permissionDenied, "permission-denied"],
    ["THIRD_PARTY_AUTH_ERROR", fcm.thirdPartyAuth, "third-party-auth"],
  ] as const)("%s: failed, token untouched, not retried", async (_name, error, reason) => {
    const fake = fakeFcm((token) => (token === "valid-0" ? error : undefined));
    const report = await deliver(devices(3), fake.sender);
    expect(fake.attemptsOf("valid-0")).toBe(1);
    expect(report).toMatchObject({ sent: 2, failed: 1, rejected: [], retries: 0 });
    expect(report.failures[reason]?.count).toBe(1);
  });

  describe("mass-deletion guard", () => {
    it("marks no mismatched token when most of a batch answers mismatched-credential", async () => {
      const fake = fakeFcm(byPrefix);
      const messages = [...devices(8, "mismatch"), ...devices(1, "unregistered"), ...devices(3)];
      const report = await deliver(messages, fake.sender);
      expect(report.massRejectionGuardTripped).toBe(true);
      // UNREGISTERED is FCM speaking with our credentials accepted: still marked.
      expect(report.rejected.map((r) => r.deviceId)).toEqual(["d-unregistered-0"]);
      expect(report).toMatchObject({ sent: 3, failed: 8 });
      expect(report.failures["mismatch-guarded"]?.count).toBe(8);
    });

    it("still marks a lone mismatched token among valid ones", async () => {
      const fake = fakeFcm(byPrefix);
      const report = await deliver([...devices(1, "mismatch"), ...devices(11)], fake.sender);
      expect(report.massRejectionGuardTripped).toBe(false);
      expect(report.rejected.map((r) => r.deviceId)).toEqual(["d-mismatch-0"]);
    });

    it("does not apply to a delivery too small to tell", async () => {
      const fake = fakeFcm(byPrefix);
      const report = await deliver(devices(9, "mismatch"), fake.sender);
      expect(report.massRejectionGuardTripped).toBe(false);
      expect(report.rejected).toHaveLength(9);
    });

    it("needs more than half: exactly half of a batch is not enough", async () => {
      const fake = fakeFcm(byPrefix);
      const report = await deliver([...devices(5, "mismatch"), ...devices(5)], fake.sender);
      expect(report.massRejectionGuardTripped).toBe(false);
      expect(report.rejected).toHaveLength(5);
    });

    it("counts PERMISSION_DENIED too, since firebase-admin gives it the same code", async () => {
      const fake = fakeFcm(byPrefix);
      const messages = [...devices(6, "denied"), ...devices(1, "mismatch"), ...devices(5)];
      const report = await deliver(messages, fake.sender);
      expect(report.massRejectionGuardTripped).toBe(true);
      expect(report.rejected).toEqual([]);
      expect(report.failures["permission-denied"]?.count).toBe(6);
      expect(report.failures["mismatch-guarded"]?.count).toBe(1);
    });

    it("trips for the whole delivery when one batch trips, even if others were fine", async () => {
      const fake = fakeFcm(byPrefix);
      // Batch 1: 10 valid. Batch 2: 10 mismatched. Batch 3: 2 mismatched (too small alone).
      const messages = [...devices(10), ...devices(12, "mismatch")];
      const report = await deliver(messages, fake.sender, fakeClock(), { batchSize: 10 });
      expect(report.massRejectionGuardTripped).toBe(true);
      expect(report.rejected).toEqual([]);
      expect(report).toMatchObject({ sent: 10, failed: 12 });
    });

    it("trips on the whole delivery when batches are each too small to tell", async () => {
      const fake = fakeFcm(byPrefix);
      const report = await deliver([...devices(11, "mismatch"), ...devices(1)], fake.sender, fakeClock(), {
        batchSize: 4,
      });
      expect(report.massRejectionGuardTripped).toBe(true);
      expect(report.rejected).toEqual([]);
    });
  });

  it("fails without retrying a round whose sendEach throws", async () => {
    let calls = 0;
    const sender: PushSender<Msg> = {
      sendEach: () => {
        calls++;
        return Promise.reject(
          Object.assign(new Error("session closed"), { code: "messaging/app/network-error" }),
        );
      },
    };
    const report = await deliver(devices(3), sender);
    expect(calls).toBe(1);
    expect(report).toMatchObject({ sent: 0, failed: 3, rejected: [], retries: 0 });
    expect(report.failures["send-error"]?.example).toBe(
      "sendEach threw: messaging/app/network-error: session closed",
    );
  });

  it("fails a round whose answers do not line up with the messages", async () => {
    const sender: PushSender<Msg> = { sendEach: () => Promise.resolve({ responses: [{ success: true }] }) };
    const report = await deliver(devices(3), sender);
    expect(report).toMatchObject({ sent: 0, failed: 3 });
    expect(report.failures["send-error"]?.example).toBe("sendEach answered 1 responses for 3 messages");
  });

  it("refuses a batch size FCM would refuse", async () => {
    await expect(deliver(devices(1), fakeFcm().sender, fakeClock(), { batchSize: 501 })).rejects.toThrow(
      RangeError,
    );
  });

  it("accepts firebase-admin's Messaging as the sender (types only)", () => {
    const asSender = (messaging: Messaging): PushSender<CommentPush> => messaging;
    expect(typeof asSender).toBe("function");
  });

  it("whatever FCM answers: every message ends once, nothing accepted twice, attempts bounded", async () => {
    const answers = [
      undefined,
      fcm.unregistered,
      fcm.invalidToken,
      fcm.senderIdMismatch,
      fcm.permissionDenied,
      fcm.invalidPayload,
      fcm.quotaExceeded,
      fcm.unavailable,
      fcm.internal,
      fcm.thirdPartyAuth,
      fcm.connectionRefused,
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: 0, max: answers.length - 1 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 4 }),
        async (count, script, batchSize, concurrency) => {
          let next = 0;
          const fake = fakeFcm(() => answers[script[next++ % script.length] ?? 0]);
          const messages = devices(count);
          const report = await deliver(messages, fake.sender, fakeClock(), { batchSize, concurrency });
          expect(report.sent + report.failed + report.rejected.length).toBe(count);
          expect(new Set(fake.accepted).size).toBe(fake.accepted.length);
          expect(report.sent).toBe(fake.accepted.length);
          for (const m of messages)
            expect(fake.attemptsOf(m.message.token)).toBeLessThanOrEqual(policy.maxAttempts);
          const failures = Object.values(report.failures).reduce((n, f) => n + f.count, 0);
          expect(failures).toBe(report.failed);
        },
      ),
      { numRuns: 200 },
    );
  });
});
