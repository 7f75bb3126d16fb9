/**
 * The seam that lets firebase-admin's default (HTTP/2) transport, the one production sends with, reach the
 * FCM emulator. Installed only by `emulatorMessaging` (messaging.ts), so only when `FCM_EMULATOR_HOST` is
 * set; in production nothing here runs and `http2.connect` is Node's own.
 *
 * firebase-admin has no endpoint setting for FCM: for every `sendEach` it calls
 * `http2.connect("https://fcm.googleapis.com", ...)` itself (node_modules/firebase-admin/lib/utils/
 * api-request.js, `Http2SessionHandler`), and ignores the app's `httpAgent` on that path. So the seam wraps
 * `http2.connect` of Node's one `http2` module, and changes a call only when its authority is exactly
 * https://fcm.googleapis.com:
 * - the session's socket is a plain TCP connection to the emulator (`createConnection`), so the session
 *   speaks h2c with prior knowledge; the authority the requests name stays fcm.googleapis.com;
 * - `:scheme` is sent as "https" where firebase-admin 13 sends "https:" (with a colon, from `URL.protocol`).
 *   Google's front end accepts that; Node's HTTP/2 server (nghttp2) resets the stream as a protocol error
 *   and has no option to relax it, so the emulator could not take firebase-admin's bytes as they are.
 *   This one header value is the byte that differs from production (docs/emulators.md).
 * Every other call (Firestore's gRPC client, any other HTTP/2 user) goes to Node's `connect` with the very
 * arguments it was given. The state lives on the `http2` module under a global symbol, so the seam is
 * installed once per process however many copies of this module are loaded; the emulator address is the
 * one of the latest `emulatorMessaging` (a process sends to one emulator).
 */
import http2 from "node:http2";
import * as net from "node:net";

export const FCM_ORIGIN = "https://fcm.googleapis.com";

type Connect = typeof http2.connect;
type Seam = { original: Connect; target: { host: string; port: number } };
const SEAM = Symbol.for("firebase-push-backend.fcmEmulatorSeam");
const http2Module = http2 as unknown as { connect: Connect; [SEAM]?: Seam };

/** Sends every later FCM HTTP/2 session of this process to the emulator at `target`. */
export function redirectFcmSessions(target: { host: string; port: number }): void {
  const installed = http2Module[SEAM];
  if (installed) {
    installed.target = target;
    return;
  }
  const seam: Seam = { original: http2Module.connect, target };
  http2Module[SEAM] = seam;
  http2Module.connect = function connect(this: unknown, ...args: Parameters<Connect>) {
    const [authority, options, listener] = args;
    if (!isFcmAuthority(authority)) return seam.original.apply(this, args);
    const { host, port } = seam.target;
    const emulatorOptions = {
      ...(typeof options === "object" ? options : {}),
      createConnection: () => net.connect(port, host),
    };
    const onConnect = typeof options === "function" ? options : listener;
    const session = seam.original.call(this, authority, emulatorOptions, onConnect);
    const request = session.request.bind(session);
    session.request = (headers, requestOptions) => {
      const plain =
        headers !== undefined && !Array.isArray(headers) ? (headers as http2.OutgoingHttpHeaders) : undefined;
      return request(
        plain?.[":scheme"] === "https:" ? { ...plain, ":scheme": "https" } : headers,
        requestOptions,
      );
    };
    return session;
  } as Connect;
}

/** Whether the seam is installed in this process (never, unless the emulator is targeted). */
export function fcmSessionsRedirected(): boolean {
  return http2Module[SEAM] !== undefined;
}

function isFcmAuthority(authority: unknown): boolean {
  try {
    const url = authority instanceof URL ? authority : new URL(String(authority));
    return url.origin === FCM_ORIGIN;
  } catch {
    return false;
  }
}
