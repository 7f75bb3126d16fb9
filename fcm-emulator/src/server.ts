/**
 * The FCM emulator: a local stand-in for Firebase Cloud Messaging's HTTP v1 send API, which has no
 * official emulator. The real firebase-admin SDK talks to it (see functions/src/messaging.ts).
 *
 *   node fcm-emulator/lib/server.js [--port N] [--host H] [--latency-ms N]
 *   (or FCM_EMULATOR_PORT, FCM_EMULATOR_LATENCY_MS; defaults 127.0.0.1:9599, no latency)
 *
 * Routes:
 *   POST   /v1/projects/{projectId}/messages:send       FCM's send, validated and answered like FCM
 *   GET    /emulator/v1/projects/{projectId}/messages   { messages: [{ name, receivedAt, message, protocol }], dropped }
 *   DELETE /emulator/v1/projects/{projectId}/messages   clears them
 *   PUT    /emulator/v1/faults                          arms a fault (faults.ts; HTTP/2 connection faults:
 *                                                      connectionFaults.ts); GET shows them, DELETE clears
 *   PUT    /emulator/v1/config                          { "tokens": "lenient" | "strict" } (tokenConventions.ts);
 *                                                      GET shows it, DELETE restores the default (lenient)
 *   PUT    /emulator/v1/latency                         { "ms": n }: delay every send answer by n ms from now on
 *                                                      (0..60000); GET shows it, DELETE restores the start value
 *   POST   /emulator/v1/tokens                          { token }: a new FCM-shaped registration token, for a
 *                                                      client under the emulators (no push service to ask)
 *   GET    /                                            the push inbox: every send attempt, live (inbox.ts)
 *   GET    /emulator/v1/attempts, /emulator/v1/events   the inbox's data: the attempt log and its live stream
 *
 * The /emulator/v1/ routes answer any origin (CORS), so a local web app can read what its token received.
 * Every route is served over HTTP/2 (h2c with prior knowledge; at most 100 concurrent streams, like FCM)
 * and over HTTP/1.1, on the same port (listener.ts).
 */
import { randomBytes } from "node:crypto";
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
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
import {
  type ConnectionFault,
  isConnectionFaultBody,
  parseConnectionFault,
  StreamGate,
} from "./connectionFaults";
import { dualTransportServer } from "./listener";
import { AttemptLog, type AttemptReport } from "./attemptLog";
import { answerInboxPage, ATTEMPTS_PATH, EVENTS_PATH, filterOf, pageOptions, streamEvents } from "./inbox";
import { MessageLog } from "./messageLog";
import { answerForToken, mintToken, parseTokenConfig, type TokenMode } from "./tokenConventions";
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
const CONFIG_PATH = "/emulator/v1/config";
/** FCM's own limit on concurrent streams per HTTP/2 connection. */
export const MAX_CONCURRENT_STREAMS = 100;
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
  let tokenMode: TokenMode = "lenient";
  /** The fault armed for the next HTTP/2 connection, and the gates of the connections it struck. */
  let connectionFault: ConnectionFault | undefined;
  const gates = new WeakMap<http2.Http2Session, StreamGate>();
  const faultListeners = new Set<() => void>();
  const faultFeed = {
    current: () => currentFaults(),
    subscribe: (listener: () => void) => {
      faultListeners.add(listener);
      return () => faultListeners.delete(listener);
    },
  };
  const faultsChanged = () => faultListeners.forEach((listener) => listener());
  const currentFaults = () => ({
    ...(faults.current() ?? {}),
    ...(connectionFault ? { connection: connectionFault } : {}),
  });
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
    const protocol = request.httpVersion === "2.0" ? "h2" : "http/1.1";

    if (!/^Bearer\s+\S/i.test(request.headers.authorization ?? "")) {
      return reject(missingCredentials());
    }
    if (!parsed.ok) {
      const description = `Invalid JSON payload received. ${parsed.problem}`;
      return reject(invalidJsonPayload({ field: "", description }));
    }
    const check = checkSendRequest(parsed.value);
    if (!check.ok) return reject(check.answer);
    const tokenAnswer = check.token === undefined ? undefined : answerForToken(check.token, tokenMode);
    if (tokenAnswer) return reject(tokenAnswer);

    if (check.validateOnly) {
      // What FCM answers to a dry run: a valid message, nothing delivered.
      const name = `projects/${projectId}/messages/fake_message_id`;
      attempts.record(acceptedAttempt(projectId, name, check.message, true));
      return answerJson(response, 200, { name });
    }
    const name = `projects/${projectId}/messages/${messageIds()}`;
    log.append(projectId, { name, receivedAt: new Date().toISOString(), message: check.message, protocol });
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
      connectionFault = undefined;
      faultsChanged();
      return answerJson(response, 200, {});
    }
    if (request.method === "PUT") {
      const parsed = parseJson(body);
      if (parsed.ok && isConnectionFaultBody(parsed.value)) {
        const armed = parseConnectionFault(parsed.value);
        if (!armed.ok) {
          return answerError(
            response,
            plainError(400, "INVALID_ARGUMENT", `Invalid fault: ${armed.problem}`),
          );
        }
        connectionFault = armed.fault;
        faultsChanged();
        return answerJson(response, 200, currentFaults());
      }
      const fault = parsed.ok ? parseFault(parsed.value) : { ok: false as const, problem: parsed.problem };
      if (!fault.ok) {
        return answerError(response, plainError(400, "INVALID_ARGUMENT", `Invalid fault: ${fault.problem}`));
      }
      faults.arm(fault.armed);
      faultsChanged();
    }
    answerJson(response, 200, currentFaults());
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

  const tokens: Route = (_request, response) => answerJson(response, 200, { token: mintToken() });

  const config: Route = (request, response, body) => {
    if (request.method === "DELETE") tokenMode = "lenient";
    if (request.method === "PUT") {
      const parsed = parseJson(body);
      const setting = parsed.ok
        ? parseTokenConfig(parsed.value)
        : { ok: false as const, problem: parsed.problem };
      if (!setting.ok) {
        return answerError(
          response,
          plainError(400, "INVALID_ARGUMENT", `Invalid config: ${setting.problem}`),
        );
      }
      tokenMode = setting.tokens;
    }
    answerJson(response, 200, { tokens: tokenMode });
  };

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
    if (path === CONFIG_PATH) return allowed(["GET", "PUT", "DELETE"], config);
    if (path === ATTEMPTS_PATH) return allowed(["GET"], attemptList);
    if (path === EVENTS_PATH) return allowed(["GET"], events);
    if (path === "/" || path === "/index.html") return allowed(["GET"], inbox);
    return plainError(404, "NOT_FOUND", `No route for ${method} ${path}`);
  }

  const handle = (request: http.IncomingMessage, response: http.ServerResponse) => {
    if (request.httpVersion === "2.0" && SEND_PATH.test(pathOf(request))) {
      // An HTTP/2 connection fault may hold this stream unprocessed, or count its answer.
      const stream = (request as unknown as http2.Http2ServerRequest).stream;
      const gate = gates.get(stream.session as http2.Http2Session);
      if (gate) {
        if (!gate.admit(stream)) return;
        response.once("finish", () => gate.answer());
      }
    }
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
  };
  const http1 = http.createServer(handle);
  // Clients keep sockets alive between batches; closing idle ones early would make them race a reused
  // socket against our close and see resets.
  http1.keepAliveTimeout = 30_000;
  // The compatibility API hands the same routes objects shaped like HTTP/1.1's (headers, url, method,
  // writeHead, end), so one handler serves both; the few differences are handled where they matter.
  const h2 = http2.createServer(
    { settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS } },
    handle as unknown as (request: http2.Http2ServerRequest, response: http2.Http2ServerResponse) => void,
  );
  const h2Sessions = new Set<http2.Http2Session>();
  h2.on("session", (session: http2.ServerHttp2Session) => {
    h2Sessions.add(session);
    session.once("close", () => h2Sessions.delete(session));
    session.on("error", () => session.destroy());
    if (connectionFault) {
      gates.set(session, new StreamGate(session, connectionFault));
      connectionFault = undefined;
      faultsChanged();
    }
  });
  const server = dualTransportServer(http1, h2);
  // Every connection, whichever server it went to (handed over, they are not the HTTP/1.1 server's to
  // close: it never listened), so `close` can end them all, the inbox's event streams included.
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

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
            for (const session of h2Sessions) session.destroy();
            for (const socket of sockets) socket.destroy();
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
    // Over HTTP/2 the stream alone is reset (RST_STREAM), the connection's other streams go on.
    logReset();
    if (request.httpVersion === "2.0") {
      (request as unknown as http2.Http2ServerRequest).stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    } else {
      request.socket.resetAndDestroy();
    }
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
