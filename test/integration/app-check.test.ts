// App Check on the callables (docs/api.md "Callable functions"; functions/src/shared/callable.ts). A client sends its App
// Check token in the `X-Firebase-AppCheck` header of the callable request; these tests send it the same way,
// with fetch. Tokens here are unsigned JWTs: in the emulator firebase-functions decodes tokens without
// verifying their signature (the Functions emulator sets FIREBASE_DEBUG_FEATURES.skipTokenVerification).
//
// Two settings, two set-ups:
// - ENFORCE_APP_CHECK=false, the emulator's (functions/.env.local): the Functions emulator itself.
// - ENFORCE_APP_CHECK=true, production's (functions/.env): the Functions emulator cannot be given it (its
//   .env.local wins over every other source), so this part loads the same built entry point
//   (functions/lib/index.js) in this process with the environment the Functions emulator gives a function
//   (plus ENFORCE_APP_CHECK=true), and serves the exported callables over HTTP. firebase-functions' own `onCall`
//   wrapper decodes the header into `request.app` as it does in the emulator, the handlers refuse a request
//   without it (functions/src/shared/callable.ts requireAppCheck), and they write to the Firestore emulator, so "refused
//   and nothing written" is observed the way a client and an operator would see it. What this part does not run
//   is the Functions emulator's process management, which has nothing to do with App Check.
// Not provable here: that a forged or expired token is refused. Outside the emulator firebase-functions verifies
// tokens with firebase-admin's App Check client against Google's keys; in the emulator any token decodes.
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { deviceIdOf } from "../../functions/src/devices/deviceId";
import {
  adminDb,
  closeEmulatorConnections,
  PROJECT_ID,
  REGION,
  signedInClient,
  uniqueToken,
  type Client,
} from "../support/emulators";

type CallableAnswer = { status: number; result?: unknown; error?: { status?: string; message?: string } };

/** An App Check token as the emulator reads it: a JWT whose payload names the app, with no signature. */
function unsignedAppCheckToken(appId = "1:123456789:android:0123456789abcdef"): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const header = encode({ alg: "none", typ: "JWT" });
  const payload = encode({
    iss: "https://firebaseappcheck.googleapis.com/123456789",
    sub: appId,
    aud: [`projects/123456789`, `projects/${PROJECT_ID}`],
    iat: now,
    exp: now + 3600,
  });
  return `${header}.${payload}.`;
}

/** One callable request as the client SDK makes it (POST `{ data }`, Bearer ID token, App Check header). */
async function call(
  url: string,
  data: unknown,
  { idToken, appCheck }: { idToken: string; appCheck?: string },
): Promise<CallableAnswer> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${idToken}`,
      ...(appCheck ? { "X-Firebase-AppCheck": appCheck } : {}),
    },
    body: JSON.stringify({ data }),
  });
  const body = (await response.json()) as Omit<CallableAnswer, "status">;
  return { status: response.status, ...body };
}

const deviceExists = async (token: string) =>
  (await adminDb().collection("devices").doc(deviceIdOf(token)).get()).exists;

let alice: Client;
let idToken: string;
const tokens: string[] = [];

beforeAll(async () => {
  alice = await signedInClient();
  idToken = await alice.auth.currentUser!.getIdToken();
});

afterAll(async () => {
  await Promise.all(tokens.map((token) => adminDb().collection("devices").doc(deviceIdOf(token)).delete()));
  await closeEmulatorConnections();
});

function newToken(): string {
  const token = uniqueToken("appcheck");
  tokens.push(token);
  return token;
}

describe("with ENFORCE_APP_CHECK=false (the Functions emulator, functions/.env.local)", () => {
  const url = (name: string) => `http://127.0.0.1:5001/${PROJECT_ID}/${REGION}/${name}`;

  it("registers a signed-in caller without an App Check token", async () => {
    const token = newToken();
    const answer = await call(url("registerDevice"), { token, platform: "android" }, { idToken });
    expect(answer).toEqual({ status: 200, result: { deviceId: deviceIdOf(token) } });
    expect(await deviceExists(token)).toBe(true);
  });

  it("registers and unregisters a caller that sends an App Check token", async () => {
    const token = newToken();
    const appCheck = unsignedAppCheckToken();
    expect(await call(url("registerDevice"), { token, platform: "ios" }, { idToken, appCheck })).toEqual({
      status: 200,
      result: { deviceId: deviceIdOf(token) },
    });
    expect(await call(url("unregisterDevice"), { token }, { idToken, appCheck })).toEqual({
      status: 200,
      result: { removed: true },
    });
    expect(await deviceExists(token)).toBe(false);
  });
});

describe("with ENFORCE_APP_CHECK=true (production's setting, the built entry point served here)", () => {
  const saved = { ...process.env };
  let server: Server;
  let base: string;

  beforeAll(async () => {
    // What the Functions emulator puts in a function's environment (firebase-tools functionsEmulator.ts
    // getEmulatorEnvs), with production's ENFORCE_APP_CHECK.
    Object.assign(process.env, {
      FUNCTIONS_EMULATOR: "true",
      FIREBASE_DEBUG_MODE: "true",
      FIREBASE_DEBUG_FEATURES: JSON.stringify({ skipTokenVerification: true, enableCors: true }),
      GCLOUD_PROJECT: PROJECT_ID,
      ENFORCE_APP_CHECK: "true",
    });
    let exported: Record<string, (req: unknown, res: unknown) => void> = {};
    let express: typeof import("express") | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      exported = require("../../functions/lib/index.js") as typeof exported;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      express = require("express") as typeof import("express");
    });
    const app = express!();
    for (const name of ["registerDevice", "unregisterDevice"]) {
      const callable = exported[name];
      if (!callable) throw new Error(`functions/lib/index.js exports no ${name}`);
      app.post(`/${name}`, express!.json(), (req, res) => callable(req, res));
    }
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it("refuses registerDevice without an App Check token with unauthenticated, and writes nothing", async () => {
    const token = newToken();
    const answer = await call(`${base}/registerDevice`, { token, platform: "android" }, { idToken });
    expect({ status: answer.status, code: answer.error?.status, result: answer.result }).toEqual({
      status: 401,
      code: "UNAUTHENTICATED",
      result: undefined,
    });
    expect(await deviceExists(token)).toBe(false);
  });

  it("registers with an App Check token, and refuses unregisterDevice without one, leaving the device", async () => {
    const token = newToken();
    const appCheck = unsignedAppCheckToken();
    expect(await call(`${base}/registerDevice`, { token, platform: "web" }, { idToken, appCheck })).toEqual({
      status: 200,
      result: { deviceId: deviceIdOf(token) },
    });
    const stored = (await adminDb().collection("devices").doc(deviceIdOf(token)).get()).data();
    expect(stored?.uid).toBe(alice.uid);

    const refused = await call(`${base}/unregisterDevice`, { token }, { idToken });
    expect({ status: refused.status, code: refused.error?.status }).toEqual({
      status: 401,
      code: "UNAUTHENTICATED",
    });
    expect(await deviceExists(token)).toBe(true);

    expect(await call(`${base}/unregisterDevice`, { token }, { idToken, appCheck })).toEqual({
      status: 200,
      result: { removed: true },
    });
    expect(await deviceExists(token)).toBe(false);
  });
});
