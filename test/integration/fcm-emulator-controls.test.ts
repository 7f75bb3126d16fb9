/**
 * The FCM emulator's run-time controls for benchmarks and drills: the answer latency, set over HTTP while
 * it runs, and partial outages (`every`) as the real firebase-admin SDK sees them. Starts its own emulator
 * on a free port: the harness's one on 9599 stays untouched.
 */
import type { Message, Messaging } from "firebase-admin/messaging";
import { MAX_LATENCY_MS, type RunningFcmEmulator, startFcmEmulator } from "../../fcm-emulator/src/server";
import { emulatorMessaging } from "../../functions/src/shared/messaging";

const PROJECT = "demo-push";

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
  await control("DELETE", `/emulator/v1/projects/${PROJECT}/messages`);
  await control("DELETE", "/emulator/v1/faults");
  await control("DELETE", "/emulator/v1/latency");
});

async function control(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

async function rawSendStatus(): Promise<number> {
  const response = await fetch(`${emulator.url}/v1/projects/${PROJECT}/messages:send`, {
    method: "POST",
    headers: { Authorization: "Bearer test", "Content-Type": "application/json" },
    body: JSON.stringify({ message: { token: "good-token" } }),
  });
  await response.arrayBuffer();
  return response.status;
}

async function timedSend(): Promise<number> {
  const started = performance.now();
  expect(await rawSendStatus()).toBe(200);
  return performance.now() - started;
}

const push = (token: string): Message => ({ token, notification: { title: "t", body: "b" } });

async function loggedTokens(): Promise<string[]> {
  const { body } = await control("GET", `/emulator/v1/projects/${PROJECT}/messages`);
  return (body as { messages: { message: { token: string } }[] }).messages.map(
    (entry) => entry.message.token,
  );
}

describe("latency control", () => {
  it("delays the send answers from the moment it is set, and DELETE restores the start value", async () => {
    expect((await control("GET", "/emulator/v1/latency")).body).toEqual({ ms: 0 });

    expect(await control("PUT", "/emulator/v1/latency", { ms: 250 })).toEqual({
      status: 200,
      body: { ms: 250 },
    });
    expect(await timedSend()).toBeGreaterThanOrEqual(240);

    expect((await control("DELETE", "/emulator/v1/latency")).body).toEqual({ ms: 0 });
    expect(await timedSend()).toBeLessThan(240);
  });

  it.each([{ ms: -1 }, { ms: 1.5 }, { ms: "20" }, { ms: MAX_LATENCY_MS + 1 }, {}, [20]])(
    "refuses %j and keeps the latency it had",
    async (body) => {
      await control("PUT", "/emulator/v1/latency", { ms: 5 });

      const answer = await control("PUT", "/emulator/v1/latency", body);

      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body)).toMatch(/Invalid latency/);
      expect((await control("GET", "/emulator/v1/latency")).body).toEqual({ ms: 5 });
    },
  );

  it("allows only GET, PUT and DELETE", async () => {
    expect((await control("POST", "/emulator/v1/latency", { ms: 1 })).status).toBe(405);
  });
});

describe("partial outage (every)", () => {
  it("fails every other raw request until count failures were given", async () => {
    await control("PUT", "/emulator/v1/faults", { status: 500, count: 2, every: 2 });

    const statuses = [];
    for (let i = 0; i < 6; i += 1) statuses.push(await rawSendStatus());

    expect(statuses).toEqual([500, 200, 500, 200, 200, 200]);
  });

  it("half of a sendEach batch fails with a 429, the other half is delivered once", async () => {
    const tokens = Array.from({ length: 10 }, (_, i) => `half-${i}`);
    await control("PUT", "/emulator/v1/faults", { status: 429, count: 5, every: 2, retryAfterSeconds: 0 });

    const result = await messaging.sendEach(tokens.map(push));

    expect(result.failureCount).toBe(5);
    expect(result.responses.filter((r) => r.error?.code === "messaging/message-rate-exceeded")).toHaveLength(
      5,
    );
    const delivered = await loggedTokens();
    expect(delivered).toHaveLength(5);
    expect(new Set(delivered).size).toBe(5);
  });

  it("the SDK's legacy HTTP/1.1 transport gets every message through resets on half the requests", async () => {
    const tokens = Array.from({ length: 10 }, (_, i) => `reset-${i}`);
    await control("PUT", "/emulator/v1/faults", { kind: "reset", count: 5, every: 2 });
    // firebase-admin retries a connection reset itself only over HTTP/1.1; over HTTP/2 the fault resets
    // the stream, which it reports (fcm-emulator.test.ts) and the push code retries when collapse-safe.
    const legacy = emulatorMessaging({ host: "127.0.0.1", port: emulator.port }, PROJECT, "http/1.1");

    const result = await legacy.sendEach(tokens.map(push));

    expect(result.successCount).toBe(10);
    expect((await loggedTokens()).sort()).toEqual([...tokens].sort());
  });
});
