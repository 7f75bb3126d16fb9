/**
 * Hands out the FCM client. Real FCM by default; the local FCM emulator (fcm-emulator/) when
 * `FCM_EMULATOR_HOST` is set, which only the emulator setup does. Callers get a `Messaging` either way
 * and cannot tell which. In the emulator the client sends with firebase-admin's default HTTP/2 transport,
 * as in production (fcmEmulatorSeam.ts); `FCM_EMULATOR_TRANSPORT=http/1.1` picks the legacy HTTP/1.1
 * transport instead, for comparison.
 */
import * as https from "node:https";
import * as net from "node:net";
import { type App, type Credential, getApps, initializeApp } from "firebase-admin/app";
import { getMessaging, type Messaging } from "firebase-admin/messaging";
import { adminApp } from "./admin";
import { FCM_MAX_BATCH } from "./batches";
import { redirectFcmSessions } from "./fcmEmulatorSeam";

export type MessagingTarget = { kind: "fcm" } | { kind: "emulator"; host: string; port: number };

/** How an emulator client sends: firebase-admin's default HTTP/2 transport, or its legacy HTTP/1.1 one. */
export type EmulatorTransport = "h2" | "http/1.1";

/** `FCM_EMULATOR_TRANSPORT`: "h2" (the default, production's transport) or "http/1.1". */
export function emulatorTransportFromEnv(env: NodeJS.ProcessEnv): EmulatorTransport {
  const value = env.FCM_EMULATOR_TRANSPORT?.trim() || "h2";
  if (value !== "h2" && value !== "http/1.1") {
    throw new Error(`FCM_EMULATOR_TRANSPORT must be "h2" or "http/1.1", got "${value}"`);
  }
  return value;
}

/** The project the emulator app sends for, when the environment names none. */
export const EMULATOR_DEFAULT_PROJECT = "demo-push";

/** Where sends go, from the environment: the emulator only when `FCM_EMULATOR_HOST` ("host:port") is set. */
export function messagingTargetFromEnv(env: NodeJS.ProcessEnv): MessagingTarget {
  const value = env.FCM_EMULATOR_HOST?.trim();
  if (!value) return { kind: "fcm" };
  // "127.0.0.1:9599", "localhost:9599" or "[::1]:9599"
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    // Falling back to real FCM here would send real pushes from a test run: refuse instead.
    throw new Error(`FCM_EMULATOR_HOST must be "host:port", got "${value}"`);
  }
  return { kind: "emulator", host, port };
}

let client: Messaging | undefined;

/** The messaging client for this process, created on first use. */
export function getMessagingClient(): Messaging {
  if (!client) {
    const target = messagingTargetFromEnv(process.env);
    client =
      target.kind === "emulator"
        ? emulatorMessaging(
            target,
            process.env.GCLOUD_PROJECT || EMULATOR_DEFAULT_PROJECT,
            emulatorTransportFromEnv(process.env),
          )
        : getMessaging(adminApp());
  }
  return client;
}

/**
 * A client of the FCM emulator at `host:port`. firebase-admin always addresses https://fcm.googleapis.com.
 * Over "h2" (the default) its HTTP/2 sessions are redirected to the emulator (fcmEmulatorSeam.ts); over
 * "http/1.1" the legacy transport is used, and this app's agent connects every request to the emulator
 * over plain TCP instead (the HTTP/2 transport ignores the agent).
 */
export function emulatorMessaging(
  target: { host: string; port: number },
  projectId: string,
  transport: EmulatorTransport = "h2",
): Messaging {
  const name = `fcm-emulator ${target.host}:${target.port} ${projectId} ${transport}`;
  const app: App =
    getApps().find((existing) => existing.name === name) ??
    initializeApp(
      { projectId, credential: emulatorCredential, httpAgent: new EmulatorAgent(target.host, target.port) },
      name,
    );
  const messaging = getMessaging(app);
  if (transport === "http/1.1") messaging.enableLegacyHttpTransport();
  else redirectFcmSessions(target);
  return messaging;
}

/** The emulator takes any bearer token; a fixed one keeps the SDK from looking for Google credentials. */
const emulatorCredential: Credential = {
  getAccessToken: () => Promise.resolve({ access_token: "owner", expires_in: 3600 }),
};

/** An `https.Agent` (so `https.request` accepts it) whose connections are plain TCP to the emulator: no TLS, no DNS. */
class EmulatorAgent extends https.Agent {
  constructor(
    private readonly emulatorHost: string,
    private readonly emulatorPort: number,
  ) {
    // sendEach sends a batch's 500 messages at once, one request each: keep that many connections open
    // between batches (Node keeps 256 by default and closes the rest, to open them again next batch).
    super({ keepAlive: true, maxFreeSockets: 2 * FCM_MAX_BATCH });
  }

  override createConnection(): net.Socket {
    return net.connect(this.emulatorPort, this.emulatorHost);
  }
}
