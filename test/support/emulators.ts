// Connections to the emulators that `npm test` starts (emulators/run.mjs): the Admin SDK for arranging
// and checking data, and the `firebase` client SDK for going through the same doors a client app uses.
import { randomUUID } from "node:crypto";
import {
  deleteApp as deleteAdminApp,
  initializeApp as initializeAdminApp,
  type App,
} from "firebase-admin/app";
import { getFirestore as getAdminFirestore, type Firestore } from "firebase-admin/firestore";
import { deleteApp, initializeApp, type FirebaseApp } from "firebase/app";
import { connectAuthEmulator, getAuth, signInAnonymously, type Auth } from "firebase/auth";
import {
  connectFirestoreEmulator,
  getFirestore,
  type Firestore as ClientFirestore,
} from "firebase/firestore";
import { connectFunctionsEmulator, getFunctions, httpsCallable, type Functions } from "firebase/functions";

export const PROJECT_ID = "demo-push";
export const REGION = "us-central1";
/** Longer than the client SDK's 70 s: a burst of calls waits for the Functions emulator to start workers. */
const CALL_TIMEOUT_MS = 170_000;

function hostAndPort(variable: string): { host: string; port: number } {
  const value = process.env[variable];
  if (!value) {
    throw new Error(
      `${variable} is not set: integration tests run inside the emulators (npm test, or npm run emulators:exec -- "npx jest ...")`,
    );
  }
  const [host = "127.0.0.1", port = ""] = value.split(":");
  return { host, port: Number(port) };
}

let admin: { app: App; db: Firestore } | undefined;

/** The Admin SDK's Firestore against the emulator, shared by the tests of one file. */
export function adminDb(): Firestore {
  hostAndPort("FIRESTORE_EMULATOR_HOST");
  admin ??= (() => {
    const app = initializeAdminApp({ projectId: PROJECT_ID }, `test-admin-${randomUUID()}`);
    return { app, db: getAdminFirestore(app) };
  })();
  return admin.db;
}

/** A signed-in client: its own Firebase app, auth user, Firestore and Functions, as a device would have. */
export type Client = {
  app: FirebaseApp;
  auth: Auth;
  uid: string;
  db: ClientFirestore;
  functions: Functions;
  call<Req, Res>(name: string, data: Req): Promise<Res>;
};

const clients: FirebaseApp[] = [];

export async function signedInClient(): Promise<Client> {
  const client = anonymousClient();
  const credential = await signInAnonymously(client.auth);
  return { ...client, uid: credential.user.uid };
}

/** A client that has not signed in (uid ""). */
export function anonymousClient(): Client {
  const app = initializeApp({ projectId: PROJECT_ID, apiKey: "fake-api-key" }, `client-${randomUUID()}`);
  clients.push(app);
  const auth = getAuth(app);
  const authHost = hostAndPort("FIREBASE_AUTH_EMULATOR_HOST");
  connectAuthEmulator(auth, `http://${authHost.host}:${authHost.port}`, { disableWarnings: true });
  const db = getFirestore(app);
  const firestoreHost = hostAndPort("FIRESTORE_EMULATOR_HOST");
  connectFirestoreEmulator(db, firestoreHost.host, firestoreHost.port);
  const functions = getFunctions(app, REGION);
  connectFunctionsEmulator(functions, "127.0.0.1", 5001);
  return {
    app,
    auth,
    uid: "",
    db,
    functions,
    async call<Req, Res>(name: string, data: Req): Promise<Res> {
      const result = await httpsCallable<Req, Res>(functions, name, { timeout: CALL_TIMEOUT_MS })(data);
      return result.data;
    },
  };
}

/** Closes every client and the admin app of this test file (call in afterAll). */
export async function closeEmulatorConnections(): Promise<void> {
  await Promise.all(clients.splice(0).map((app) => deleteApp(app)));
  if (admin) await deleteAdminApp(admin.app);
  admin = undefined;
}

/** Polls `read` until `done` holds for its value or the timeout passes; returns the last value. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A token no other test uses (the FCM emulator accepts any token without a special prefix). */
export function uniqueToken(prefix = "tok"): string {
  return `${prefix}-${randomUUID()}-${randomUUID()}`;
}
