/**
 * The push inbox's routes: the page at `GET /`, the attempt log it lists, and the live stream it follows.
 *
 *   GET /                                  the inbox page (text/html, everything inline: no other host)
 *   GET /emulator/v1/attempts              a page of the attempt log, newest first (attemptLog.ts)
 *                                          ?token=&postId=&status=&project=&before=<seq>&limit=<n>
 *   GET /emulator/v1/events                server-sent events, same filter params: `attempt` for each new
 *                                          matching attempt, `cleared` when a project's log is cleared,
 *                                          `faults` when the fault switch changes
 *
 * The page itself lives in fcm-emulator/inbox/ (HTML, CSS, JS), read once and inlined into one answer.
 */
import { readFileSync } from "node:fs";
import type * as http from "node:http";
import * as path from "node:path";
import type { AttemptFilter, AttemptLog } from "./attemptLog";

export const ATTEMPTS_PATH = "/emulator/v1/attempts";
export const EVENTS_PATH = "/emulator/v1/events";

/** How often an idle stream sends a comment line, so proxies and browsers keep it open. */
const HEARTBEAT_MS = 15_000;
/** What the browser waits before reconnecting a dropped stream (the emulator restarting, say). */
const RECONNECT_MS = 1_000;

const PAGE_SECURITY = [
  "default-src 'none'",
  "script-src 'unsafe-inline'",
  "style-src 'unsafe-inline'",
  "img-src data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

let cachedPage: string | undefined;

/** The inbox page with its stylesheet and script inlined. */
export function inboxPage(): string {
  if (cachedPage === undefined) {
    // src/ and lib/ both sit beside inbox/.
    const dir = path.join(__dirname, "..", "inbox");
    const read = (name: string) => readFileSync(path.join(dir, name), "utf8");
    cachedPage = read("inbox.html")
      .replace("/* inbox.css */", () => read("inbox.css"))
      .replace("/* inbox.js */", () => read("inbox.js"));
  }
  return cachedPage;
}

export function answerInboxPage(response: http.ServerResponse): void {
  const html = inboxPage();
  response.writeHead(200, {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": Buffer.byteLength(html),
    "Content-Security-Policy": PAGE_SECURITY,
    "Cache-Control": "no-store",
  });
  response.end(html);
}

export function filterOf(query: URLSearchParams): AttemptFilter {
  const filter: AttemptFilter = {};
  for (const key of ["token", "postId", "status", "project"] as const) {
    const value = query.get(key)?.trim();
    if (value) filter[key] = value;
  }
  return filter;
}

export function pageOptions(query: URLSearchParams): { before?: number; limit?: number } {
  const number = (key: string) => {
    const text = query.get(key);
    const value = text === null || text === "" ? NaN : Number(text);
    return Number.isInteger(value) && value > 0 ? value : undefined;
  };
  const before = number("before");
  const limit = number("limit");
  return { ...(before === undefined ? {} : { before }), ...(limit === undefined ? {} : { limit }) };
}

/** Sources of the `faults` event: the current fault, and a way to hear when it changes. */
export interface FaultFeed {
  current(): unknown;
  subscribe(listener: () => void): () => void;
}

/** Opens a server-sent event stream of the attempts matching the request's filter. */
export function streamEvents(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  log: AttemptLog,
  faults: FaultFeed,
): void {
  const filter = filterOf(new URL(request.url ?? "/", "http://emulator").searchParams);
  response.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-store",
    Connection: "keep-alive",
    "Access-Control-Allow-Origin": "*",
  });
  const send = (event: string, data: unknown) =>
    response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  response.write(`retry: ${RECONNECT_MS}\n\n`);
  send("faults", faults.current());

  const stopLog = log.subscribe((event) => {
    if (event.type === "cleared") send("cleared", { project: event.project });
    else if (log.matches(event.attempt.seq, filter)) send("attempt", event.attempt);
  });
  const stopFaults = faults.subscribe(() => send("faults", faults.current()));
  const heartbeat = setInterval(() => response.write(": keep-alive\n\n"), HEARTBEAT_MS);
  heartbeat.unref();
  const stop = () => {
    clearInterval(heartbeat);
    stopLog();
    stopFaults();
  };
  request.socket.once("close", stop);
  response.once("close", stop);
}
