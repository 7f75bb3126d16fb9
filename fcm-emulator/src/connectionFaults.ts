/**
 * HTTP/2 connection faults, each for the next HTTP/2 connection only (a real FCM front end closing a
 * connection mid-batch: GOAWAY on a restart or past its stream limit, a broken connection):
 *
 *   { "kind": "goaway", "afterStreams": n, "code"?: c }   answer n streams, then GOAWAY (code c, 0 =
 *       NO_ERROR by default) naming the last of them; every later stream is refused (RST_STREAM
 *       REFUSED_STREAM), never processed;
 *   { "kind": "reset", "afterStreams": n }                answer n streams, then reset the TCP connection,
 *       the streams that came after them unanswered.
 *
 * A stream past the first n is held unread from its arrival, so a message the emulator did not answer is
 * never processed, and never in the message log. Only send requests count as streams.
 */
import type * as http2 from "node:http2";
import { constants } from "node:http2";
import { isObject } from "./validate";

export type ConnectionFault =
  { kind: "goaway"; afterStreams: number; code: number } | { kind: "reset"; afterStreams: number };

export type ConnectionFaultParse = { ok: true; fault: ConnectionFault } | { ok: false; problem: string };

/** Whether a faults body is a connection fault (it names `afterStreams`, or the kind only they have). */
export function isConnectionFaultBody(body: unknown): boolean {
  return isObject(body) && (body.afterStreams !== undefined || body.kind === "goaway");
}

export function parseConnectionFault(body: unknown): ConnectionFaultParse {
  if (!isObject(body)) return { ok: false, problem: "the body must be a JSON object" };
  const { afterStreams, code } = body;
  if (!Number.isInteger(afterStreams) || (afterStreams as number) < 0) {
    return { ok: false, problem: "afterStreams must be a whole number ≥ 0" };
  }
  const n = afterStreams as number;
  if (body.kind === "reset") {
    if (code !== undefined) return { ok: false, problem: "a reset has no code" };
    return { ok: true, fault: { kind: "reset", afterStreams: n } };
  }
  if (body.kind !== "goaway") return { ok: false, problem: 'kind must be "goaway" or "reset"' };
  if (code !== undefined && (!Number.isInteger(code) || (code as number) < 0 || (code as number) > 0xd)) {
    return { ok: false, problem: "code must be an HTTP/2 error code, 0..13" };
  }
  return { ok: true, fault: { kind: "goaway", afterStreams: n, code: (code as number | undefined) ?? 0 } };
}

/** How long the answered streams get to reach the client before a reset: a reset drops unsent bytes. */
const FLUSH_BEFORE_RESET_MS = 50;

/** The fault of one HTTP/2 session: which streams it lets through, and when it strikes. */
export class StreamGate {
  private admitted = 0;
  private answered = 0;
  private lastAdmittedId = 0;
  private struck = false;
  private readonly held: http2.ServerHttp2Stream[] = [];

  constructor(
    private readonly session: http2.ServerHttp2Session,
    private readonly fault: ConnectionFault,
  ) {
    if (fault.afterStreams === 0) this.strike();
  }

  /** Whether the stream may be processed; a stream that may not is held until the fault strikes. */
  admit(stream: http2.ServerHttp2Stream): boolean {
    if (!this.struck && this.admitted < this.fault.afterStreams) {
      this.admitted += 1;
      this.lastAdmittedId = Math.max(this.lastAdmittedId, stream.id ?? 0);
      return true;
    }
    if (this.struck) this.refuse(stream);
    else this.held.push(stream);
    return false;
  }

  /** An admitted stream was answered. */
  answer(): void {
    this.answered += 1;
    if (this.answered === this.fault.afterStreams) this.strike();
  }

  private strike(): void {
    if (this.struck) return;
    this.struck = true;
    // The client may have closed the connection already (its batch had no more streams).
    if (this.session.destroyed || this.session.closed) return;
    if (this.fault.kind === "goaway") {
      this.session.goaway(this.fault.code, this.lastAdmittedId);
      for (const stream of this.held.splice(0)) this.refuse(stream);
      this.session.close();
      return;
    }
    // Reached through the session's socket proxy, which forwards `resetAndDestroy` to the TCP socket.
    const socket = this.session.socket as unknown as { resetAndDestroy(): void; destroyed: boolean };
    setTimeout(() => {
      if (this.session.destroyed) return;
      if (!socket.destroyed) socket.resetAndDestroy();
      this.session.destroy();
    }, FLUSH_BEFORE_RESET_MS).unref();
  }

  private refuse(stream: http2.ServerHttp2Stream): void {
    if (this.fault.kind === "goaway" && !stream.destroyed) stream.close(constants.NGHTTP2_REFUSED_STREAM);
    // A reset refuses nothing: the connection dies with the stream unanswered.
  }
}
