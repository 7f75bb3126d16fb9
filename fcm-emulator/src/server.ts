/**
 * The FCM emulator: a local stand-in for Firebase Cloud Messaging's HTTP v1 send API, which has no
 * official emulator. The real firebase-admin SDK talks to it (see functions/src/messaging.ts).
 *
 *   node fcm-emulator/lib/server.js [--port N] [--host H] [--latency-ms N]
 *   (or FCM_EMULATOR_PORT, FCM_EMULATOR_LATENCY_MS; defaults 127.0.0.1:9599, no latency)
 *
 * Routes:
 *   POST   /v1/projects/{projectId}/messages:send       FCM's send, validated and answered like FCM
 *   GET    /emulator/v1/projects/{projectId}/messages   { messages: [{ name, receivedAt, message }], dropped }
 *   DELETE /emulator/v1/projects/{projectId}/messages   clears them
 *   PUT    /emulator/v1/faults                          arms a fault (see faults.ts); GET shows it, DELETE clears
 *   PUT    /emulator/v1/latency                         { "ms": n }: delay every send answer by n ms from now on
 *                                                      (0..60000); GET shows it, DELETE restores the start value
 *   POST   /emulator/v1/tokens                          { token }: a new simulated registration token, for a web
 *                                                      client under the emulators (no push service to ask)
 *   GET    /                                            the push inbox: every send attempt, live (inbox.ts)
 *   GET    /emulator/v1/attempts, /emulator/v1/events   the inbox's data: the attempt log and its live stream
 *
 * The /emulator/v1/ routes answer any origin (CORS), so a local web app can read what its token received.
 */
import { randomBytes } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import {
  type FcmErrorAnswer,
  faultAnswer,
  invalidJsonPayload,
  missingCredentials,
  plainError,
} from "./fcmErrors";
import { type Fault, FaultSwitch, parseFault } from "./faults";
import { AttemptLog, type AttemptReport } from "./attemptLog";
import { answerInboxPage, ATTEMPTS_PATH, EVENTS_PATH, filterOf, pageOptions, streamEvents } from "./inbox";
import { MessageLog } from "./messageLog";
import { answerForToken } from "./tokenConventions";
import { checkSendRequest, isObject } from "./validate";

export interface FcmEmulatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Delay before every answer of the send route (changeable at run time: PUT /emulator/v1/latency). */
  latencyMs?: number;
  /** How many messages the log keeps per project. */
  logCapacity?: number;
  /** The inbox's log of every send attempt; a new one of `logCapacity` unless given. */
  attemptLog?: AttemptLog;
}

export interface RunningFcmEmulator {
  /** e.g. "http://127.0.0.1:9599" */
  url: string;
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 9599;

/** Google's front end refuses bodies over 1 MiB before FCM sees them. */
const MAX_BODY_BYTES = 1024 * 1024;

const SEND_PATH = /^\/v1\/projects\/([^/]+)\/messages:send$/;
const LOG_PATH = /^\/emulator\/v1\/projects\/([^/]+)\/messages$/;
const FAULTS_PATH = "/emulator/v1/faults";
const LATENCY_PATH = "/emulator/v1/latency";
const TOKENS_PATH = "/emulator/v1/tokens";
/** The longest latency the control accepts: a minute, well past any client timeout worth testing. */
export const MAX_LATENCY_MS = 60_000;

type Route = (
  request: http.IncomingMessage,
  response: http.ServerResponse,
  body: Buffer,
) => Promise<void> | void;

export function startFcmEmulator(options: FcmEmulatorOptions = {}): Promise<RunningFcmEmulator> {
  const host = options.host ?? DEFAULT_HOST;
  const startLatencyMs = options.latencyMs ?? 0;
  let latencyMs = startLatencyMs;
  const log = new MessageLog(options.logCapacity);
  const attempts = options.attemptLog ?? new AttemptLog(options.logCapacity);
  const faults = new FaultSwitch();
  const faultListeners = new Set<() => void>();
  const faultFeed = {
    current: () => faults.current() ?? {},
    subscribe: (listener: () => void) => {
      faultListeners.add(listener);
      return () => faultListeners.delete(listener);
    },
  };
  const faultsChanged = () => faultListeners.forEach((listener) => listener());
  const messageIds = messageIdSource();

  const send: Route = async (request, response, body) => {
    const projectId = decodeURIComponent(SEND_PATH.exec(pathOf(request))?.[1] ?? "");
    // The fault belongs to the request in arrival order, even when the answer is delayed.
    const fault = faults.take();
    if (fault) faultsChanged();
    if (latencyMs > 0) await sleep(latencyMs);
    const parsed = parseJson(body);
    const sent = parsed.ok && isObject(parsed.value) ? parsed.value.message : undefined;
    /** Answers an error and logs the attempt as rejected. */
    const reject = (answer: FcmErrorAnswer, headers?: http.OutgoingHttpHeaders) => {
      attempts.record(rejectedAttempt(projectId, answer, sent));
      answerError(response, answer, headers);
    };
    if (fault)
      return injectFault(fault, request, reject, () => attempts.record(resetAttempt(projectId, sent)));

    if (!/^Bearer\s+\S/i.test(request.headers.authorization ?? "")) {
      return reject(missingCredentials());
    }
    if (!parsed.ok) {
      const description = `Invalid JSON payload received. ${parsed.problem}`;
      return reject(invalidJsonPayload({ field: "", description }));
    }
    const check = checkSendRequest(parsed.value);
    if (!check.ok) return reject(check.answer);
    const tokenAnswer = check.token === undefined ? undefined : answerForToken(check.token);
    if (tokenAnswer) return reject(tokenAnswer);

    if (check.validateOnly) {
      // What FCM answers to a dry run: a valid message, nothing delivered.
      const name = `projects/${projectId}/messages/fake_message_id`;
      attempts.record(acceptedAttempt(projectId, name, check.message, true));
      return answerJson(response, 200, { name });
    }
    const name = `projects/${projectId}/messages/${messageIds()}`;
    log.append(projectId, { name, receivedAt: new Date().toISOString(), message: check.message });
    attempts.record(acceptedAttempt(projectId, name, check.message, false));
    answerJson(response, 200, { name });
  };

  const messages: Route = (request, response) => {
    const projectId = decodeURIComponent(LOG_PATH.exec(pathOf(request))?.[1] ?? "");
    if (request.method === "DELETE") {
      log.clear(projectId);
      attempts.clear(projectId);
      return answerJson(response, 200, {});
    }
    answerJson(response, 200, log.list(projectId));
  };

  const faultControl: Route = (request, response, body) => {
    if (request.method === "DELETE") {
      faults.clear();
      faultsChanged();
      return answerJson(response, 200, {});
    }
    if (request.method === "PUT") {
      const parsed = parseJson(body);
      const fault = parsed.ok ? parseFault(parsed.value) : { ok: false as const, problem: parsed.problem };
      if (!fault.ok) {
        return answerError(response, plainError(400, "INVALID_ARGUMENT", `Invalid fault: ${fault.problem}`));
      }
      faults.arm(fault.armed);
      faultsChanged();
    }
    answerJson(response, 200, faults.current() ?? {});
  };

  const latencyControl: Route = (request, response, body) => {
    if (request.method === "DELETE") latencyMs = startLatencyMs;
    if (request.method === "PUT") {
      const parsed = parseJson(body);
      const ms = parsed.ok ? parseLatency(parsed.value) : { ok: false as const, problem: parsed.problem };
      if (!ms.ok) {
        return answerError(response, plainError(400, "INVALID_ARGUMENT", `Invalid latency: ${ms.problem}`));
      }
      latencyMs = ms.value;
    }
    answerJson(response, 200, { ms: latencyMs });
  };

  const attemptList: Route = (request, response) => {
    const query = queryOf(request);
    answerJson(response, 200, attempts.page(filterOf(query), pageOptions(query)));
  };

  const events: Route = (request, response) => streamEvents(request, response, attempts, faultFeed);

  const tokens: Route = (_request, response) => answerJson(response, 200, { token: simulatedToken() });

  const inbox: Route = (_request, response) => answerInboxPage(response);

  function route(request: http.IncomingMessage): Route | FcmErrorAnswer {
    const path = pathOf(request);
    const method = request.method ?? "";
    const allowed = (methods: string[], handler: Route): Route | FcmErrorAnswer =>
      methods.includes(method)
        ? handler
        : plainError(405, "METHOD_NOT_ALLOWED", `${method} is not allowed on ${path}`);
    if (SEND_PATH.test(path)) return allowed(["POST"], send);
    if (LOG_PATH.test(path)) return allowed(["GET", "DELETE"], messages);
    if (path === FAULTS_PATH) return allowed(["GET", "PUT", "DELETE"], faultControl);
    if (path === LATENCY_PATH) return allowed(["GET", "PUT", "DELETE"], latencyControl);
    if (path === TOKENS_PATH) return allowed(["POST"], tokens);
    if (path === ATTEMPTS_PATH) return allowed(["GET"], attemptList);
    if (path === EVENTS_PATH) return allowed(["GET"], events);
    if (path === "/" || path === "/index.html") return allowed(["GET"], inbox);
    return plainError(404, "NOT_FOUND", `No route for ${method} ${path}`);
  }

  const server = http.createServer((request, response) => {
    if (pathOf(request).startsWith("/emulator/v1/")) {
      // A web app on another local port (the demo app) reads what its own token received.
      response.setHeader("Access-Control-Allow-Origin", "*");
      if (request.method === "OPTIONS") {
        response.writeHead(204, {
          "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE",
          "Access-Control-Allow-Headers": "Content-Type",
          "Access-Control-Max-Age": "600",
        });
        response.end();
        return;
      }
    }
    readBody(request)
      .then(async (body) => {
        if (body === undefined) {
          return answerError(
            response,
            plainError(
              400,
              "INVALID_ARGUMENT",
              `Request payload size exceeds the limit: ${MAX_BODY_BYTES} bytes.`,
            ),
          );
        }
        const handler = route(request);
        if (typeof handler !== "function") return answerError(response, handler);
        await handler(request, response, body);
      })
      .catch((error: unknown) => {
        // A bug of the emulator, not an FCM answer: say so plainly rather than mimic FCM's 500.
        console.error("FCM emulator: request failed", error);
        if (!response.headersSent) answerError(response, plainError(500, "EMULATOR_ERROR", String(error)));
        else response.destroy();
      });
  });
  // Clients keep sockets alive between batches; closing idle ones early would make them race a reused
  // socket against our close and see resets.
  server.keepAliveTimeout = 30_000;

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.off("error", reject);
      const { port } = server.address() as AddressInfo;
      const urlHost = host.includes(":") ? `[${host}]` : host;
      resolve({
        url: `http://${urlHost}:${port}`,
        port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** `{ "ms": n }` with n a whole number of milliseconds in 0..MAX_LATENCY_MS. */
function parseLatency(body: unknown): { ok: true; value: number } | { ok: false; problem: string } {
  const ms = typeof body === "object" && body !== null ? (body as { ms?: unknown }).ms : undefined;
  if (typeof ms !== "number" || !Number.isInteger(ms) || ms < 0 || ms > MAX_LATENCY_MS) {
    return { ok: false, problem: `ms must be a whole number of milliseconds in 0..${MAX_LATENCY_MS}` };
  }
  return { ok: true, value: ms };
}

function injectFault(
  fault: Fault,
  request: http.IncomingMessage,
  reject: (answer: FcmErrorAnswer, headers: http.OutgoingHttpHeaders) => void,
  logReset: () => void,
): void {
  if (fault.kind === "reset") {
    // No answer at all: the client sees the connection reset, as when a proxy or FCM's front end drops it.
    logReset();
    request.socket.resetAndDestroy();
    return;
  }
  const headers =
    fault.retryAfterSeconds === undefined ? {} : { "Retry-After": String(fault.retryAfterSeconds) };
  reject(faultAnswer(fault.status), headers);
}

function acceptedAttempt(project: string, name: string, message: unknown, dryRun: boolean): AttemptReport {
  return { project, outcome: "accepted", httpStatus: 200, status: "OK", name, message, dryRun };
}

/** FCM's error code for the answer: the FcmError detail's when there is one, else the Google status. */
function rejectedAttempt(project: string, answer: FcmErrorAnswer, message: unknown): AttemptReport {
  const { error } = answer.body;
  const fcmCode = error.details?.find((detail) => "errorCode" in detail);
  return {
    project,
    outcome: "rejected",
    httpStatus: answer.httpStatus,
    status: fcmCode && "errorCode" in fcmCode ? fcmCode.errorCode : error.status,
    error: error.message,
    message,
  };
}

function resetAttempt(project: string, message: unknown): AttemptReport {
  return {
    project,
    outcome: "rejected",
    httpStatus: 0,
    status: "CONNECTION_RESET",
    error: "The connection was reset without an answer (fault injection).",
    message,
  };
}

/** Shaped like a web FCM token ("<instance id>:APA91b<...>"), and accepted by the token conventions. */
function simulatedToken(): string {
  return `emulated-${randomBytes(8).toString("base64url")}:APA91b${randomBytes(96).toString("base64url")}`;
}

function answerError(
  response: http.ServerResponse,
  answer: FcmErrorAnswer,
  headers: http.OutgoingHttpHeaders = {},
) {
  answerJson(response, answer.httpStatus, answer.body, headers);
}

function answerJson(
  response: http.ServerResponse,
  status: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
): void {
  const json = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    "Content-Type": "application/json; charset=UTF-8",
    "Content-Length": Buffer.byteLength(json),
  });
  response.end(json);
}

/** The whole body, or undefined when it is over the limit (read to the end all the same, to keep the socket usable). */
function readBody(request: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on("end", () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : undefined));
    request.on("error", reject);
  });
}

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false; problem: string } {
  try {
    return { ok: true, value: JSON.parse(body.toString("utf8")) as unknown };
  } catch (error) {
    return { ok: false, problem: error instanceof Error ? error.message : String(error) };
  }
}

function queryOf(request: http.IncomingMessage): URLSearchParams {
  return new URL(request.url ?? "/", "http://emulator").searchParams;
}

function pathOf(request: http.IncomingMessage): string {
  return (request.url ?? "/").split("?")[0] ?? "/";
}

/** Message ids shaped like FCM's ("0:1700000000000000123%a1b2c3d4e5f60718"): unique and rising. */
function messageIdSource(): () => string {
  const instance = randomBytes(8).toString("hex");
  let next = BigInt(Date.now()) * 1000n;
  return () => {
    next += 1n;
    return `0:${next}%${instance}`;
  };
}

const USAGE = "usage: node fcm-emulator/lib/server.js [--port N] [--host H] [--latency-ms N]";

/** Flags win over FCM_EMULATOR_PORT / FCM_EMULATOR_LATENCY_MS; an unknown flag is an error, not ignored. */
function cliOptions(argv: string[], env: NodeJS.ProcessEnv): FcmEmulatorOptions {
  const { values } = parseArgs({
    args: argv,
    options: { host: { type: "string" }, port: { type: "string" }, "latency-ms": { type: "string" } },
  });
  const integer = (label: string, text: string | undefined, fallback: number): number => {
    if (text === undefined || text === "") return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`${label} must be a non-negative integer, got "${text}"`);
    }
    return value;
  };
  return {
    host: values.host ?? DEFAULT_HOST,
    port: integer("--port", values.port ?? env.FCM_EMULATOR_PORT, DEFAULT_PORT),
    latencyMs: integer("--latency-ms", values["latency-ms"] ?? env.FCM_EMULATOR_LATENCY_MS, 0),
  };
}

async function main(): Promise<void> {
  let options: FcmEmulatorOptions;
  try {
    options = cliOptions(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`FCM emulator: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  }
  const emulator = await startFcmEmulator(options);
  const latency = options.latencyMs ? ` (latency ${options.latencyMs} ms)` : "";
  console.log(`FCM emulator listening on ${emulator.url}${latency}`);
  const stop = () => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    const inUse = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
    console.error(inUse ? `FCM emulator: ${(error as Error).message}; is another one running?` : error);
    process.exit(1);
  });
}
