/**
 * The FCM emulator's HTTP/2 side and its tokens config, through firebase-admin's default transport (the
 * one production sends with, redirected by functions/src/shared/fcmEmulatorSeam.ts) and its legacy
 * HTTP/1.1 one. The peer cases are firebase-admin-node's own messaging integration cases (send, sendEach
 * of 3 and of 500, sendEachForMulticast to malformed tokens), in strict mode as real FCM judges tokens.
 * Starts its own emulator on a free port: the harness's one on 9599 stays untouched.
 */
import http2 from "node:http2";
import type { Message, Messaging } from "firebase-admin/messaging";
import { type RunningFcmEmulator, startFcmEmulator } from "../../fcm-emulator/src/server";
import { emulatorMessaging } from "../../functions/src/shared/messaging";

const PROJECT = "demo-push-h2";
const FCM_TOKEN = /^[A-Za-z0-9_-]+:APA91b[A-Za-z0-9_-]+$/;

let emulator: RunningFcmEmulator;
let messaging: Messaging;

beforeAll(async () => {
  emulator = await startFcmEmulator({ host: "127.0.0.1", port: 0 });
  messaging = emulatorMessaging({ host: "127.0.0.1", port: emulator.port }, PROJECT);
});

afterAll(() => emulator.close());

beforeEach(async () => {
  await call("DELETE", `/emulator/v1/projects/${PROJECT}/messages`);
  await call("DELETE", "/emulator/v1/faults");
  await call("DELETE", "/emulator/v1/config");
});

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

const mint = async (): Promise<string> =>
  ((await call("POST", "/emulator/v1/tokens")).body as { token: string }).token;

async function logged(): Promise<Array<{ message: Record<string, unknown>; protocol: string }>> {
  return ((await call("GET", `/emulator/v1/projects/${PROJECT}/messages`)).body as { messages: [] }).messages;
}

describe("firebase-admin-node's messaging integration cases, over HTTP/2, strict tokens", () => {
  // firebase-admin-node test/integration/messaging.spec.ts: its message, its registration token.
  const registrationToken =
    "fGw0qy4TGgk:APA91bGtWGjuhp4WRhHXgbabIYp1jxEKI08ofj_v1bKhWAGJQ4e3arRCWzeTfHaLz83mBnDh0aPWB1AykXAVUUGl2h1wT4XI6XazWpvY7RBUSYfoxtqSWGIm2nvWh2BOP1YG501SsRoE";
  const message: Message = {
    data: { foo: "bar" },
    notification: { title: "Message title", body: "Message body", imageUrl: "https://example.com/image.png" },
    android: {
      restrictedPackageName: "com.google.firebase.testing",
      notification: {
        title: "test title",
        body: "test body",
        imageUrl: "https://example.com/image.png",
        priority: "high",
        vibrateTimingsMillis: [100, 50, 250],
        visibility: "public",
      },
    },
    apns: {
      payload: { aps: { alert: { title: "test title", body: "test body" } } },
      fcmOptions: { imageUrl: "https://example.com/image.png" },
    },
    topic: "foo-bar",
  };

  beforeEach(async () => {
    expect((await call("PUT", "/emulator/v1/config", { tokens: "strict" })).body).toEqual({
      tokens: "strict",
    });
  });

  it("send()", async () => {
    await expect(messaging.send(message, true)).resolves.toMatch(/^projects\/.*\/messages\/.*$/);
    await expect(
      messaging.send({ ...message, topic: undefined, token: registrationToken }, true),
    ).resolves.toMatch(/^projects\/.*\/messages\/.*$/);
  });

  it.each([3, 500])("sendEach() of %i", async (n) => {
    const response = await messaging.sendEach(new Array<Message>(n).fill(message), true);
    expect(response.responses).toHaveLength(n);
    expect(response.successCount).toBe(n);
    expect(response.failureCount).toBe(0);
    for (const answer of response.responses) expect(answer.messageId).toMatch(/^projects\/.*\/messages\/.*$/);
  });

  it("sendEachForMulticast() to malformed tokens", async () => {
    const response = await messaging.sendEachForMulticast(
      { data: message.data, android: message.android, tokens: ["not-a-token", "also-not-a-token"] },
      true,
    );
    expect(response.responses).toHaveLength(2);
    expect(response.successCount).toBe(0);
    expect(response.failureCount).toBe(2);
    for (const answer of response.responses) {
      expect(answer.success).toBe(false);
      expect(answer.messageId).toBeUndefined();
      expect(answer.error).toHaveProperty("code", "messaging/invalid-argument");
    }
  });
});

describe("transports", () => {
  it("logs each message with the transport it came over", async () => {
    await messaging.sendEach([{ token: "over-h2" }]);
    const legacy = emulatorMessaging({ host: "127.0.0.1", port: emulator.port }, PROJECT, "http/1.1");
    await legacy.sendEach([{ token: "over-http1" }]);
    expect((await logged()).map((entry) => [entry.message.token, entry.protocol])).toEqual([
      ["over-h2", "h2"],
      ["over-http1", "http/1.1"],
    ]);
  });

  it("advertises at most 100 concurrent streams over HTTP/2", async () => {
    const session = http2.connect(emulator.url);
    const settings = await new Promise<http2.Settings>((resolve) => session.once("remoteSettings", resolve));
    session.close();
    expect(settings.maxConcurrentStreams).toBe(100);
  });
});

describe("tokens config", () => {
  it("is lenient by default, strict on demand, and DELETE restores the default", async () => {
    expect((await call("GET", "/emulator/v1/config")).body).toEqual({ tokens: "lenient" });
    expect((await call("PUT", "/emulator/v1/config", { tokens: "strict" })).body).toEqual({
      tokens: "strict",
    });
    expect((await call("DELETE", "/emulator/v1/config")).body).toEqual({ tokens: "lenient" });
    expect((await call("PUT", "/emulator/v1/config", { tokens: "picky" })).status).toBe(400);
    expect((await call("PUT", "/emulator/v1/config", "{")).status).toBe(400);
  });

  it("answers a malformed token in strict mode with FCM's exact 400 body", async () => {
    await call("PUT", "/emulator/v1/config", { tokens: "strict" });
    const response = await fetch(`${emulator.url}/v1/projects/${PROJECT}/messages:send`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer owner" },
      body: JSON.stringify({ message: { token: "not-a-token" } }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        code: 400,
        message: "The registration token is not a valid FCM registration token",
        status: "INVALID_ARGUMENT",
        details: [
          { "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode: "INVALID_ARGUMENT" },
        ],
      },
    });
    expect(await logged()).toEqual([]);
  });

  it("mints FCM-shaped tokens that strict mode accepts", async () => {
    const [a, b] = [await mint(), await mint()];
    expect(a).toMatch(FCM_TOKEN);
    expect(a.length).toBeGreaterThan(100);
    expect(a).not.toBe(b);
    await call("PUT", "/emulator/v1/config", { tokens: "strict" });
    const answer = await messaging.sendEach([{ token: a }, { token: "short:APA91bxyz" }]);
    expect(answer.responses.map((r) => r.success)).toEqual([true, false]);
  });
});

describe("HTTP/2 connection faults", () => {
  it("strike the next HTTP/2 connection only, and show while armed", async () => {
    const armed = await call("PUT", "/emulator/v1/faults", { kind: "goaway", afterStreams: 2 });
    expect(armed.body).toEqual({ connection: { kind: "goaway", afterStreams: 2, code: 0 } });
    await expect(messaging.sendEach([{ token: "a" }, { token: "b" }, { token: "c" }])).rejects.toMatchObject({
      code: "messaging/app/network-error",
    });
    expect((await call("GET", "/emulator/v1/faults")).body).toEqual({});
    expect((await messaging.sendEach([{ token: "d" }])).successCount).toBe(1);
    expect((await logged()).map((entry) => entry.message.token)).toEqual(["a", "b", "d"]);
  });

  it.each([
    { kind: "goaway", afterStreams: -1 },
    { kind: "goaway", afterStreams: 1, code: 99 },
    { kind: "reset", afterStreams: 1, code: 0 },
    { kind: "shutdown", afterStreams: 1 },
  ])("refuses the malformed fault %j", async (fault) => {
    expect((await call("PUT", "/emulator/v1/faults", fault)).status).toBe(400);
  });
});
