/**
 * The FCM emulator's routes for the push inbox and for web clients under the emulators: the attempt log
 * (rejected attempts beside accepted ones, while the message log keeps only accepted ones), its live
 * stream, simulated tokens, CORS for a local web app, and the page itself (no host beyond the emulator).
 * Starts its own emulator on a free port: the harness's one on 9599 stays untouched.
 */
import type { Message, Messaging } from "firebase-admin/messaging";
import { type RunningFcmEmulator, startFcmEmulator } from "../../fcm-emulator/src/server";
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
  await fetch(`${emulator.url}/emulator/v1/projects/${PROJECT}/messages`, { method: "DELETE" });
  await fetch(`${emulator.url}/emulator/v1/faults`, { method: "DELETE" });
});

type Attempt = { seq: number; outcome: string; status: string; tokenTail?: string; message?: Message };
type AttemptPage = { attempts: Attempt[]; matched: number; projects: string[] };

async function json<T>(
  path: string,
  init?: RequestInit,
): Promise<{ status: number; headers: Headers; body: T }> {
  const response = await fetch(`${emulator.url}${path}`, init);
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

const push = (token: string, postId = "post-1"): Message => ({
  token,
  notification: { title: `about ${postId}`, body: "b" },
  data: { postId },
});

describe("the attempt log", () => {
  it("logs rejected attempts beside accepted ones; the message log keeps answering accepted ones only", async () => {
    const live = "live-token-000000-abcdef";
    const dead = "unregistered-token-000000-dead01";
    const result = await messaging.sendEach([push(live), push(dead), push("mismatch-token-zzzzzz")]);
    expect(result.successCount).toBe(1);

    const { body } = await json<AttemptPage>("/emulator/v1/attempts");
    expect(
      body.attempts
        .map(({ outcome, status, tokenTail }) => ({ outcome, status, tokenTail }))
        .sort((a, b) => String(a.tokenTail).localeCompare(String(b.tokenTail))),
    ).toEqual([
      { outcome: "accepted", status: "OK", tokenTail: "abcdef" },
      { outcome: "rejected", status: "UNREGISTERED", tokenTail: "dead01" },
      { outcome: "rejected", status: "SENDER_ID_MISMATCH", tokenTail: "zzzzzz" },
    ]);
    expect(body.projects).toEqual([PROJECT]);
    expect(JSON.stringify(body)).not.toContain(live);

    const messages = await json<{ messages: { message: Message }[] }>(
      `/emulator/v1/projects/${PROJECT}/messages`,
    );
    expect(messages.body.messages.map((entry) => entry.message)).toEqual([push(live)]);
  });

  it("logs a fault's answer with FCM's status, and a reset as CONNECTION_RESET", async () => {
    await json("/emulator/v1/faults", { method: "PUT", body: JSON.stringify({ status: 429, count: 1 }) });
    const raw = () =>
      fetch(`${emulator.url}/v1/projects/${PROJECT}/messages:send`, {
        method: "POST",
        headers: { Authorization: "Bearer t", "Content-Type": "application/json" },
        body: JSON.stringify({ message: push("some-token-123456") }),
      });
    expect((await raw()).status).toBe(429);
    await json("/emulator/v1/faults", { method: "PUT", body: JSON.stringify({ kind: "reset", count: 1 }) });
    await expect(raw()).rejects.toThrow();

    const { body } = await json<AttemptPage>("/emulator/v1/attempts?status=rejected");
    expect(body.attempts.map((a) => a.status)).toEqual(["CONNECTION_RESET", "QUOTA_EXCEEDED"]);
  });

  it("filters by token, post id and status, and clears with the message log's DELETE", async () => {
    await messaging.sendEach([
      push("aaa-111111", "p1"),
      push("bbb-222222", "p2"),
      push("invalid-333333", "p2"),
    ]);

    const seen = async (query: string) =>
      (await json<AttemptPage>(`/emulator/v1/attempts?${query}`)).body.attempts
        .map((a) => a.tokenTail)
        .sort();
    expect(await seen("token=222222")).toEqual(["222222"]);
    expect(await seen("postId=p2")).toEqual(["222222", "333333"]);
    expect(await seen("status=INVALID_ARGUMENT")).toEqual(["333333"]);
    expect(await seen("postId=p2&status=accepted")).toEqual(["222222"]);

    await fetch(`${emulator.url}/emulator/v1/projects/${PROJECT}/messages`, { method: "DELETE" });
    expect((await json<AttemptPage>("/emulator/v1/attempts")).body).toMatchObject({
      attempts: [],
      matched: 0,
    });
  });
});

describe("the live stream", () => {
  it("sends each new attempt that matches its filter as a server-sent event", async () => {
    const controller = new AbortController();
    const response = await fetch(`${emulator.url}/emulator/v1/events?token=wanted`, {
      signal: controller.signal,
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const stream = response.body as ReadableStream<Uint8Array> | null;
    if (!stream) throw new Error("the event stream has no body");
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    };
    await readUntil("event: faults");

    await messaging.sendEach([push("other-token-999999"), push("the-wanted-token-123456")]);
    await readUntil("event: attempt");
    controller.abort();

    const attempts = text
      .split("\n\n")
      .filter((block) => block.startsWith("event: attempt"))
      .map((block) => JSON.parse(block.split("\ndata: ")[1] ?? "{}") as Attempt);
    expect(attempts.map((a) => a.tokenTail)).toEqual(["123456"]);
    expect(text).not.toContain("the-wanted-token-123456");
  });
});

describe("simulated tokens and CORS, for a web client under the emulators", () => {
  it("hands out distinct tokens that the emulator accepts, to any local origin", async () => {
    const first = await json<{ token: string }>("/emulator/v1/tokens", {
      method: "POST",
      headers: { Origin: "http://127.0.0.1:5173" },
    });
    const second = await json<{ token: string }>("/emulator/v1/tokens", { method: "POST" });
    expect(first.status).toBe(200);
    expect(first.headers.get("access-control-allow-origin")).toBe("*");
    expect(first.body.token).toMatch(/^\S{100,4096}$/);
    expect(second.body.token).not.toBe(first.body.token);

    const result = await messaging.send(push(first.body.token));
    expect(result).toMatch(new RegExp(`^projects/${PROJECT}/messages/`));

    const preflight = await fetch(`${emulator.url}/emulator/v1/faults`, {
      method: "OPTIONS",
      headers: { Origin: "http://127.0.0.1:5173", "Access-Control-Request-Method": "PUT" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toContain("PUT");
  });
});

describe("GET /", () => {
  it("serves the inbox as one HTML page that loads nothing from any other host", async () => {
    const response = await fetch(`${emulator.url}/`);
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(html).toContain("<title>Push inbox");
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toContain("/* inbox.js */");
  });
});
