/**
 * The FCM emulator, driven through the real firebase-admin SDK the way the functions use it (the
 * messaging module's emulator client), and through raw HTTP where the SDK would refuse to send.
 * Starts its own emulator on a free port: the harness's one on 9599 and its fault switch stay untouched.
 */
import type { Message, Messaging } from "firebase-admin/messaging";
import { type RunningFcmEmulator, startFcmEmulator } from "../../fcm-emulator/src/server";
import { emulatorMessaging } from "../../functions/src/shared/messaging";

const PROJECT = "demo-push";
const REGISTRATION_TOKEN_MESSAGE = "The registration token is not a valid FCM registration token";

let emulator: RunningFcmEmulator;
let messaging: Messaging;

beforeAll(async () => {
  emulator = await startFcmEmulator({ host: "127.0.0.1", port: 0 });
  messaging = emulatorMessaging({ host: "127.0.0.1", port: emulator.port }, PROJECT);
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(async () => {
  await emulatorCall("DELETE", `/emulator/v1/projects/${PROJECT}/messages`);
  await emulatorCall("DELETE", "/emulator/v1/faults");
});

interface RawAnswer {
  status: number;
  headers: Headers;
  body: {
    name?: string;
    error?: { code: number; message: string; status: string; details?: Array<Record<string, unknown>> };
    messages?: Array<{ name: string; receivedAt: string; message: Record<string, unknown> }>;
    dropped?: number;
  };
}

async function emulatorCall(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { "Content-Type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as RawAnswer["body"],
  };
}

function rawSend(body: unknown, headers: Record<string, string> = { Authorization: "Bearer test" }) {
  return emulatorCall("POST", `/v1/projects/${PROJECT}/messages:send`, body, headers);
}

function armFault(fault: Record<string, unknown>) {
  return emulatorCall("PUT", "/emulator/v1/faults", fault);
}

async function logged() {
  const answer = await emulatorCall("GET", `/emulator/v1/projects/${PROJECT}/messages`);
  return answer.body.messages ?? [];
}

/** The one outcome of sending `message` with sendEach, as the push code sees it. */
async function sendOne(message: Message) {
  const batch = await messaging.sendEach([message]);
  const [response] = batch.responses;
  if (!response) throw new Error("sendEach answered no response");
  return response;
}

/** A message shaped like the product's comment push (docs/api.md, "The push message"). */
function commentPush(token: string): Message {
  return {
    token,
    notification: { title: "Mina commented on your post", body: "Nice photo!" },
    data: { type: "comment", postId: "post-1", commentId: "comment-1", authorId: "user-mina" },
    android: { priority: "high", ttl: 3_600_000, notification: { channelId: "comments", tag: "post-1" } },
    apns: { payload: { aps: { threadId: "post-1" } } },
  };
}

describe("accepted messages", () => {
  it("accepts a valid message from the SDK and logs it under its name", async () => {
    const name = await messaging.send(commentPush("device-token-abc123"));

    expect(name).toMatch(/^projects\/demo-push\/messages\/.+$/);
    const messages = await logged();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.name).toBe(name);
    expect(Date.parse(messages[0]?.receivedAt ?? "")).not.toBeNaN();
    // What firebase-admin puts on the wire: snake_case for some fields, APNs keys renamed.
    expect(messages[0]?.message).toMatchObject({
      token: "device-token-abc123",
      notification: { title: "Mina commented on your post", body: "Nice photo!" },
      data: { type: "comment", postId: "post-1" },
      android: { priority: "high", ttl: "3600s", notification: { channel_id: "comments", tag: "post-1" } },
      apns: { payload: { aps: { "thread-id": "post-1" } } },
    });
  });

  it("accepts every field firebase-admin 13 can send, as it serializes them", async () => {
    const everything: Message = {
      token: "device-token-full",
      data: { a: "b" },
      notification: { title: "t", body: "b", imageUrl: "https://example.com/i.png" },
      fcmOptions: { analyticsLabel: "label" },
      android: {
        collapseKey: "k",
        priority: "normal",
        ttl: 1500,
        restrictedPackageName: "com.example",
        data: { c: "d" },
        directBootOk: true,
        bandwidthConstrainedOk: true,
        restrictedSatelliteOk: false,
        fcmOptions: { analyticsLabel: "android" },
        notification: {
          title: "t",
          body: "b",
          icon: "ic",
          color: "#112233",
          sound: "default",
          tag: "tag",
          imageUrl: "https://example.com/i.png",
          clickAction: "OPEN",
          bodyLocKey: "bk",
          bodyLocArgs: ["1"],
          titleLocKey: "tk",
          titleLocArgs: ["2"],
          channelId: "comments",
          ticker: "tick",
          sticky: false,
          eventTimestamp: new Date("2026-01-02T03:04:05.678Z"),
          localOnly: true,
          priority: "high",
          vibrateTimingsMillis: [100, 200],
          defaultVibrateTimings: false,
          defaultSound: true,
          lightSettings: { color: "#FF0000", lightOnDurationMillis: 100, lightOffDurationMillis: 200 },
          defaultLightSettings: false,
          visibility: "private",
          notificationCount: 3,
          proxy: "if_priority_lowered",
        },
      },
      apns: {
        liveActivityToken: "live",
        headers: { "apns-priority": "10" },
        payload: {
          aps: {
            alert: { title: "t", locKey: "k", locArgs: ["a"] },
            badge: 1,
            sound: { name: "s", critical: true, volume: 0.5 },
            contentAvailable: true,
            mutableContent: true,
            category: "c",
            threadId: "thread",
          },
          custom: { nested: [1, 2] },
        },
        fcmOptions: { analyticsLabel: "apns", imageUrl: "https://example.com/i.png" },
      },
      webpush: {
        headers: { TTL: "60" },
        data: { e: "f" },
        notification: { title: "t", actions: [{ action: "open", title: "Open" }], requireInteraction: true },
        fcmOptions: { link: "https://example.com" },
      },
    };

    const response = await sendOne(everything);

    expect(response.error).toBeUndefined();
    expect(response.messageId).toMatch(/^projects\/demo-push\/messages\/.+$/);
  });

  it("logs sendEach messages in arrival order", async () => {
    const tokens = ["token-a", "token-b", "token-c"];
    const batch = await messaging.sendEach(tokens.map((token) => ({ token, data: { n: token } })));

    expect(batch.successCount).toBe(3);
    const names = batch.responses.map((response) => response.messageId);
    expect((await logged()).map((entry) => entry.name).sort()).toEqual([...names].sort());
  });

  it("does not log a dry run", async () => {
    const name = await messaging.send(commentPush("device-token-dry"), true);

    expect(name).toBe("projects/demo-push/messages/fake_message_id");
    expect(await logged()).toHaveLength(0);
  });

  it("clears the log", async () => {
    await messaging.send(commentPush("device-token-1"));
    expect(await logged()).toHaveLength(1);

    const cleared = await emulatorCall("DELETE", `/emulator/v1/projects/${PROJECT}/messages`);

    expect(cleared.status).toBe(200);
    expect(await logged()).toHaveLength(0);
  });
});

describe("token conventions", () => {
  it.each([
    [
      "unregistered-token-1",
      "messaging/registration-token-not-registered",
      "Requested entity was not found.",
    ],
    ["invalid-token-1", "messaging/invalid-argument", REGISTRATION_TOKEN_MESSAGE],
    ["mismatch-token-1", "messaging/mismatched-credential", "SenderId mismatch"],
  ])("a token starting like %s gets %s", async (token, code, message) => {
    const response = await sendOne(commentPush(token));

    expect(response.success).toBe(false);
    expect(response.error?.code).toBe(code);
    expect(response.error?.message).toBe(message);
    expect(await logged()).toHaveLength(0);
  });

  it("answers each message of a mixed batch on its own", async () => {
    const batch = await messaging.sendEach([
      commentPush("good-token"),
      commentPush("unregistered-x"),
      commentPush("another-good-token"),
    ]);

    expect(batch.responses.map((response) => response.success)).toEqual([true, false, true]);
    expect(await logged()).toHaveLength(2);
  });
});

describe("payload violations", () => {
  const violations: Array<[string, Message]> = [
    ["a reserved data key", { token: "good-token", data: { message_type: "x" } }],
    ["a data key starting with google", { token: "good-token", data: { "google.sent_time": "1" } }],
    ["a data key starting with gcm", { token: "good-token", data: { "gcm.n.e": "1" } }],
    ["a message over 4096 bytes", { token: "good-token", data: { text: "x".repeat(4100) } }],
    ["an unknown android priority", { token: "good-token", android: { priority: "urgent" as "high" } }],
    ["an unknown field", { token: "good-token", sound: "ping" } as Message],
    [
      "an unknown nested field",
      { token: "good-token", notification: { title: "t", subtitle: "s" } } as Message,
    ],
  ];

  it.each(violations)("refuses %s sent through the SDK as a payload error", async (_what, message) => {
    const response = await sendOne(message);

    expect(response.success).toBe(false);
    expect(response.error?.code).toBe("messaging/invalid-argument");
    expect(response.error?.message).not.toBe(REGISTRATION_TOKEN_MESSAGE);
    expect(await logged()).toHaveLength(0);
  });

  const rawViolations: Array<[string, unknown, string]> = [
    [
      "a non-string data value",
      { message: { token: "good-token", data: { count: 3 } } },
      "message.data[0].value",
    ],
    ["two targets", { message: { token: "good-token", topic: "news" } }, "message"],
    ["no target", { message: { notification: { title: "t" } } }, "message"],
    [
      "a ttl without unit",
      { message: { token: "good-token", android: { ttl: "3.5" } } },
      "message.android.ttl",
    ],
    ["an unknown top-level field", { message: { token: "good-token" }, dry_run: true }, ""],
    ["a body that is not JSON", '{"message": {"token": "good-token"', ""],
  ];

  it.each(rawViolations)("refuses %s in FCM's error shape", async (_what, body, field) => {
    const answer = await rawSend(body);

    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 400, status: "INVALID_ARGUMENT" });
    expect(answer.body.error?.message).not.toBe(REGISTRATION_TOKEN_MESSAGE);
    expect(answer.body.error?.details).toContainEqual({
      "@type": "type.googleapis.com/google.rpc.BadRequest",
      fieldViolations: [expect.objectContaining({ field }) as unknown],
    });
    expect(await logged()).toHaveLength(0);
  });

  it("accepts proto field names in both JSON spellings", async () => {
    const answer = await rawSend({
      message: {
        token: "good-token",
        android: { collapseKey: "k", ttl: "3.5s", notification: { channelId: "a", click_action: "b" } },
        fcmOptions: { analyticsLabel: "l" },
      },
    });

    expect(answer.status).toBe(200);
    expect(answer.body.name).toMatch(/^projects\/demo-push\/messages\/.+$/);
  });

  it("refuses a send without a bearer token as UNAUTHENTICATED", async () => {
    const answer = await rawSend({ message: { token: "good-token" } }, {});

    expect(answer.status).toBe(401);
    expect(answer.body.error).toMatchObject({ code: 401, status: "UNAUTHENTICATED" });
    expect(await logged()).toHaveLength(0);
  });
});

describe("faults", () => {
  it.each([
    [429, "messaging/message-rate-exceeded"],
    [500, "messaging/internal-error"],
    [401, "messaging/third-party-auth-error"],
  ])("a %i fault gives %s", async (status, code) => {
    await armFault({ status, count: 1 });

    const response = await sendOne(commentPush("good-token"));

    expect(response.error?.code).toBe(code);
    expect(await logged()).toHaveLength(0);
  });

  it("a 503 fault gives messaging/server-unavailable once the SDK's own retries are spent", async () => {
    // firebase-admin retries a 503 four times, waiting Retry-After between tries: 5 faults, about 4 s.
    await armFault({ status: 503, count: 5, retryAfterSeconds: 1 });
    const started = Date.now();

    const response = await sendOne(commentPush("good-token"));

    expect(response.error?.code).toBe("messaging/server-unavailable");
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
  });

  it("the SDK gets through a single 503 by retrying it", async () => {
    await armFault({ status: 503, count: 1 });

    const response = await sendOne(commentPush("good-token"));

    expect(response.success).toBe(true);
    expect(await logged()).toHaveLength(1);
  });

  it.each([429, 503])("sends Retry-After with a %i fault", async (status) => {
    await armFault({ status, count: 1, retryAfterSeconds: 7 });

    const answer = await rawSend({ message: { token: "good-token" } });

    expect(answer.status).toBe(status);
    expect(answer.headers.get("retry-after")).toBe("7");
  });

  it("expires a fault after count requests", async () => {
    await armFault({ status: 500, count: 2 });

    const outcomes = [];
    for (let i = 0; i < 3; i += 1)
      outcomes.push((await rawSend({ message: { token: "good-token" } })).status);

    expect(outcomes).toEqual([500, 500, 200]);
    expect((await emulatorCall("GET", "/emulator/v1/faults")).body).toEqual({});
  });

  it("clears a fault on DELETE", async () => {
    await armFault({ status: 429, count: 10 });

    await emulatorCall("DELETE", "/emulator/v1/faults");

    expect((await rawSend({ message: { token: "good-token" } })).status).toBe(200);
  });

  it("a reset fault drops an HTTP/1.1 connection, which the SDK's legacy transport retries", async () => {
    await armFault({ kind: "reset", count: 1 });
    await expect(
      fetch(`${emulator.url}/v1/projects/${PROJECT}/messages:send`, { method: "POST" }),
    ).rejects.toThrow();

    await armFault({ kind: "reset", count: 1 });
    const legacy = emulatorMessaging({ host: "127.0.0.1", port: emulator.port }, PROJECT, "http/1.1");
    const [response] = (await legacy.sendEach([commentPush("good-token")])).responses;

    expect(response?.success).toBe(true);
    expect(await logged()).toHaveLength(1);
  });

  it("over HTTP/2 a reset fault resets the stream alone: that message fails, unprocessed", async () => {
    await armFault({ kind: "reset", count: 1 });
    const batch = await messaging.sendEach([commentPush("reset-token"), commentPush("good-token")]);

    expect(batch.responses[0]?.error).toMatchObject({
      code: "app/network-error",
      message: expect.stringMatching(/NGHTTP2_INTERNAL_ERROR/) as unknown,
    });
    expect(batch.responses[1]?.success).toBe(true);
    expect((await logged()).map((entry) => entry.message.token)).toEqual(["good-token"]);
  });

  it("refuses a malformed fault", async () => {
    const answer = await armFault({ status: 418, count: 1 });

    expect(answer.status).toBe(400);
    expect((await rawSend({ message: { token: "good-token" } })).status).toBe(200);
  });
});

describe("latency", () => {
  it("delays every send answer by --latency-ms", async () => {
    const slow = await startFcmEmulator({ host: "127.0.0.1", port: 0, latencyMs: 300 });
    try {
      const started = Date.now();
      const answer = await fetch(`${slow.url}/v1/projects/${PROJECT}/messages:send`, {
        method: "POST",
        headers: { Authorization: "Bearer test" },
        body: JSON.stringify({ message: { token: "good-token" } }),
      });

      expect(answer.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    } finally {
      await slow.close();
    }
  });
});
