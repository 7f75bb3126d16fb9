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
import { MessageLog } from "./messageLog";
import { answerForToken } from "./tokenConventions";
import { checkSendRequest } from "./validate";

export interface FcmEmulatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Delay before every answer of the send route (changeable at run time: PUT /emulator/v1/latency). */
  latencyMs?: number;
  /** How many messages the log keeps per project. */
  logCapacity?: number;
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
  const faults = new FaultSwitch();
  const messageIds = messageIdSource();

  const send: Route = async (request, response, body) => {
    const projectId = decodeURIComponent(SEND_PATH.exec(pathOf(request))?.[1] ?? "");
    // The fault belongs to the request in arrival order, even when the answer is delayed.
    const fault = faults.take();
    if (latencyMs > 0) await sleep(latencyMs);
    if (fault) return injectFault(fault, request, response);

    if (!/^Bearer\s+\S/i.test(request.headers.authorization ?? "")) {
      return answerError(response, missingCredentials());
    }
    const parsed = parseJson(body);
    if (!parsed.ok) {
      const description = `Invalid JSON payload received. ${parsed.problem}`;
      return answerError(response, invalidJsonPayload({ field: "", description }));
    }
    const check = checkSendRequest(parsed.value);
    if (!check.ok) return answerError(response, check.answer);
    const tokenAnswer = check.token === undefined ? undefined : answerForToken(check.token);
    if (tokenAnswer) return answerError(response, tokenAnswer);

    if (check.validateOnly) {
      // What FCM answers to a dry run: a valid message, nothing delivered.
      return answerJson(response, 200, { name: `projects/${projectId}/messages/fake_message_id` });
    }
    const name = `projects/${projectId}/messages/${messageIds()}`;
    log.append(projectId, { name, receivedAt: new Date().toISOString(), message: check.message });
    answerJson(response, 200, { name });
  };

  const messages: Route = (request, response) => {
    const projectId = decodeURIComponent(LOG_PATH.exec(pathOf(request))?.[1] ?? "");
    if (request.method === "DELETE") {
      log.clear(projectId);
      return answerJson(response, 200, {});
    }
    answerJson(response, 200, log.list(projectId));
  };

  const faultControl: Route = (request, response, body) => {
    if (request.method === "DELETE") {
      faults.clear();
      return answerJson(response, 200, {});
    }
    if (request.method === "PUT") {
      const parsed = parseJson(body);
      const fault = parsed.ok ? parseFault(parsed.value) : { ok: false as const, problem: parsed.problem };
      if (!fault.ok) {
        return answerError(response, plainError(400, "INVALID_ARGUMENT", `Invalid fault: ${fault.problem}`));
      }
      faults.arm(fault.armed);
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
    return plainError(404, "NOT_FOUND", `No route for ${method} ${path}`);
  }

  const server = http.createServer((request, response) => {
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

function injectFault(fault: Fault, request: http.IncomingMessage, response: http.ServerResponse): void {
  if (fault.kind === "reset") {
    // No answer at all: the client sees the connection reset, as when a proxy or FCM's front end drops it.
    request.socket.resetAndDestroy();
    return;
  }
  const headers =
    fault.retryAfterSeconds === undefined ? {} : { "Retry-After": String(fault.retryAfterSeconds) };
  answerError(response, faultAnswer(fault.status), headers);
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
