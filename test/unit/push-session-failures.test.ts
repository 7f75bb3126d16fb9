/**
 * firebase-admin's default (HTTP/2) transport against the FCM emulator, in this process: the seam that
 * redirects it (functions/src/shared/fcmEmulatorSeam.ts), and the shapes firebase-admin 13 gives a batch
 * whose HTTP/2 connection ends early (GOAWAY, reset, refused), as the real library builds them. Pins what
 * sessionFailure.ts and classifyFcmError read, so an upgrade that changes them fails here first.
 */
import http2 from "node:http2";
import type { Message, Messaging } from "firebase-admin/messaging";
import { type RunningFcmEmulator, startFcmEmulator } from "../../fcm-emulator/src/server";
import { classifyFcmError } from "../../functions/src/push/domain/classify";
import { deliverMessages } from "../../functions/src/push/domain/deliver";
import {
  SESSION_ANSWERS_TIMEOUT_MS,
  answersOfSessionFailure,
  isSessionFailure,
} from "../../functions/src/push/domain/sessionFailure";
import { fcmSessionsRedirected } from "../../functions/src/shared/fcmEmulatorSeam";
import { emulatorMessaging } from "../../functions/src/shared/messaging";

const PROJECT = "demo-session";
let emulator: RunningFcmEmulator;
let messaging: Messaging;

beforeAll(async () => {
  emulator = await startFcmEmulator({ host: "127.0.0.1", port: 0 });
  messaging = emulatorMessaging({ host: "127.0.0.1", port: emulator.port }, PROJECT);
});

afterAll(() => emulator.close());

beforeEach(async () => {
  await control("DELETE", `/emulator/v1/projects/${PROJECT}/messages`);
  await control("DELETE", "/emulator/v1/faults");
});

async function control(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return response.json();
}

async function logged(): Promise<Array<{ message: { token: string }; protocol: string }>> {
  const log = (await control("GET", `/emulator/v1/projects/${PROJECT}/messages`)) as {
    messages: Array<{ message: { token: string }; protocol: string }>;
  };
  return log.messages;
}

const messages = (n: number, prefix = "device"): Message[] =>
  Array.from({ length: n }, (_, i) => ({ token: `${prefix}-${i}`, data: { i: String(i) } }));

/** What `sendEach` rejected with: it must reject for these faults. */
async function sessionFailureOf(batch: Message[]): Promise<unknown> {
  try {
    await messaging.sendEach(batch);
  } catch (error) {
    return error;
  }
  throw new Error("sendEach resolved");
}

describe("the seam", () => {
  it("sends firebase-admin's default transport to the emulator over h2", async () => {
    const answer = await messaging.sendEach(messages(3));
    expect(answer.successCount).toBe(3);
    expect((await logged()).map((entry) => entry.protocol)).toEqual(["h2", "h2", "h2"]);
  });

  it("passes every other authority to Node's own http2.connect, untouched", async () => {
    expect(fcmSessionsRedirected()).toBe(true);
    const other = http2.createServer((_request, response) => response.end("other"));
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    const port = (other.address() as { port: number }).port;
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const body = await new Promise<string>((resolve, reject) => {
      const stream = session.request({ ":path": "/" });
      let text = "";
      stream.on("data", (chunk: Buffer) => (text += chunk.toString()));
      stream.on("end", () => resolve(text));
      stream.on("error", reject);
      stream.end();
    });
    session.close();
    await new Promise<void>((resolve) => other.close(() => resolve()));
    expect(body).toBe("other");
    expect(await logged()).toEqual([]);
  });
});

describe("firebase-admin 13's session failures, classified", () => {
  it("GOAWAY after 50 of 500: 50 accepted, 450 refused (never processed, safe to send again)", async () => {
    await control("PUT", "/emulator/v1/faults", { kind: "goaway", afterStreams: 50 });
    const error = await sessionFailureOf(messages(500));
    expect(error).toMatchObject({
      code: "messaging/app/network-error",
      message: "Error while making requests: GOAWAY - undefined, Error code: 0",
    });
    expect(isSessionFailure(error)).toBe(true);
    const answers = await answersOfSessionFailure(error, 500);
    if (!answers) throw new Error("no answers");
    expect(answers.filter((answer) => answer.success)).toHaveLength(50);
    const lost = answers.filter((answer) => !answer.success);
    expect(lost).toHaveLength(450);
    for (const { error: lostError } of lost) {
      expect(lostError).toMatchObject({
        code: "app/network-error",
        message: expect.stringMatching(/NGHTTP2_REFUSED_STREAM.*ERR_HTTP2_STREAM_ERROR/) as unknown,
      });
      expect(classifyFcmError(lostError)).toMatchObject({ kind: "retryable", ambiguous: false });
    }
    expect(await logged()).toHaveLength(50);
  });

  it("a reset after 50 of 500: 50 accepted, 450 lost with the session (ambiguous)", async () => {
    await control("PUT", "/emulator/v1/faults", { kind: "reset", afterStreams: 50 });
    const error = await sessionFailureOf(messages(500));
    expect(error).toMatchObject({
      code: "messaging/app/network-error",
      message: expect.stringMatching(/^Session error while making requests: ECONNRESET/) as unknown,
    });
    const answers = await answersOfSessionFailure(error, 500);
    if (!answers) throw new Error("no answers");
    expect(answers.filter((answer) => answer.success)).toHaveLength(50);
    const lost = answers.filter((answer) => !answer.success);
    expect(lost).toHaveLength(450);
    for (const { error: lostError } of lost) {
      expect(lostError?.code).toBe("app/network-error");
      expect(lostError?.message).toMatch(/ERR_HTTP2_INVALID_SESSION|ERR_HTTP2_STREAM_CANCEL|ECONNRESET/);
      expect(classifyFcmError(lostError)).toMatchObject({ kind: "retryable", ambiguous: true });
    }
    expect(await logged()).toHaveLength(50);
  });

  it.each(["goaway", "reset"])(
    "a %s after n streams of a batch of exactly n: all answered, the emulator goes on",
    async (kind) => {
      await control("PUT", "/emulator/v1/faults", { kind, afterStreams: 50 });
      expect((await messaging.sendEach(messages(50, kind))).successCount).toBe(50);
      // The client closed its connection before the fault could strike: nothing breaks.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await messaging.sendEach(messages(3, `${kind}-after`))).successCount).toBe(3);
      expect(await logged()).toHaveLength(53);
    },
  );

  it("a refused connection: every message never sent, retried like a 503", async () => {
    const refused = emulatorMessaging({ host: "127.0.0.1", port: 1 }, "demo-refused");
    let error: unknown;
    try {
      await refused.sendEach(messages(3));
    } catch (thrown) {
      error = thrown;
    } finally {
      // The seam sends to the latest emulator client's address: point it back.
      emulatorMessaging({ host: "127.0.0.1", port: emulator.port }, PROJECT);
    }
    expect(error).toMatchObject({
      code: "messaging/app/network-error",
      message: expect.stringMatching(/ECONNREFUSED/) as unknown,
    });
    const answers = await answersOfSessionFailure(error, 3);
    expect(answers).toHaveLength(3);
    for (const answer of answers ?? []) {
      expect(answer.error?.message).toMatch(/ERR_HTTP2_STREAM_CANCEL.*ECONNREFUSED|ECONNREFUSED.*/);
      expect(classifyFcmError(answer.error)).toMatchObject({ kind: "retryable", ambiguous: false });
    }
  });

  it("firebase-admin 14's per-message unknown-error with a cause is classified by its cause", () => {
    // firebase-admin 14 is not installed here: this is the shape of firebase-admin-node#3126.
    const refused = Object.assign(new Error("Stream closed with error code NGHTTP2_REFUSED_STREAM"), {
      code: "ERR_HTTP2_STREAM_ERROR",
    });
    const lost = Object.assign(new Error("The session has been destroyed"), {
      code: "ERR_HTTP2_INVALID_SESSION",
    });
    const answer = (cause: unknown) =>
      classifyFcmError({ code: "messaging/unknown-error", message: "Session error", cause });
    expect(answer(refused)).toMatchObject({ kind: "retryable", reason: "network", ambiguous: false });
    expect(answer(lost)).toMatchObject({ kind: "retryable", reason: "network", ambiguous: true });
    expect(classifyFcmError({ code: "messaging/unknown-error", message: "?" })).toMatchObject({
      kind: "failed",
    });
  });
});

describe("deliverMessages over a failing HTTP/2 session", () => {
  const deliver = (batch: Message[], collapseSafe: boolean) =>
    deliverMessages({
      messages: batch.map((message, i) => ({ deviceId: `d${i}`, message })),
      sender: messaging,
      sleep: () => Promise.resolve(),
      random: () => 0,
      now: () => Date.now(),
      collapseSafe,
    });

  const onceEach = async (count: number) => {
    const tokens = (await logged()).map((entry) => entry.message.token);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(tokens).toHaveLength(count);
  };

  it("GOAWAY mid-batch: every message sent exactly once, FCM's rejections still learnt", async () => {
    await control("PUT", "/emulator/v1/faults", { kind: "goaway", afterStreams: 50 });
    // The rejected tokens are among the 50 answered before the GOAWAY: learnt from pendingBatchResponse.
    const batch = [...messages(2, "unregistered"), ...messages(298)];
    const report = await deliver(batch, false);
    expect(report).toMatchObject({ sent: 298, failed: 0, retries: expect.any(Number) as unknown });
    expect(report.rejected.map((r) => r.reason)).toEqual(["unregistered", "unregistered"]);
    await onceEach(298);
  });

  it("a reset mid-batch: collapse-safe messages sent again, each exactly once", async () => {
    await control("PUT", "/emulator/v1/faults", { kind: "reset", afterStreams: 50 });
    const report = await deliver(messages(300), true);
    expect(report).toMatchObject({ sent: 300, failed: 0 });
    await onceEach(300);
  });

  it("a reset mid-batch: messages that are not collapse-safe are not sent again (counted failed)", async () => {
    await control("PUT", "/emulator/v1/faults", { kind: "reset", afterStreams: 50 });
    const report = await deliver(messages(300), false);
    expect(report).toMatchObject({ sent: 50, failed: 250 });
    expect(report.failures.network?.count).toBe(250);
    await onceEach(50);
  });
});

// A reset drill once held a delivery `sending` for good: a failed session's answers that never settle
// must not hold the delivery; past the wait, the batch's messages count as lost in flight (ambiguous).
describe("a failed session whose answers never settle", () => {
  it("is answered as lost in flight after SESSION_ANSWERS_TIMEOUT_MS", async () => {
    jest.useFakeTimers();
    try {
      const error = Object.assign(new Error("Session error while sending"), {
        code: "messaging/app/network-error",
        pendingBatchResponse: new Promise<never>(() => undefined),
      });
      const answering = answersOfSessionFailure(error, 2);
      await jest.advanceTimersByTimeAsync(SESSION_ANSWERS_TIMEOUT_MS);
      const answers = await answering;
      expect(answers).toHaveLength(2);
      for (const answer of answers ?? []) {
        expect(answer.success).toBe(false);
        expect(classifyFcmError(answer.error)).toMatchObject({ ambiguous: true });
      }
    } finally {
      jest.useRealTimers();
    }
  });
});
