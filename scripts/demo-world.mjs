// The demo world that `scripts/demo-seed.mjs` writes (when `npm start` is ready) and `npm run demo` plays
// in, and where it lives: the emulators of `npm start`. Imported by both scripts; it does nothing itself.
import { createHash } from "node:crypto";
import { listening } from "./listening.mjs";

// Without it the Admin SDK probes the GCE metadata server for credentials and prints a
// "MetadataLookupWarning" off Google Cloud; the emulators need no credentials. (`npm start` sets it too.)
process.env.METADATA_SERVER_DETECTION ||= "none";

export const PROJECT_ID = process.env.GCLOUD_PROJECT || "demo-push";
export const REGION = "us-central1";

/** Where `npm start` runs each emulator (firebase.json, docs/emulators.md); the harness's env vars win. */
export const HOSTS = {
  auth: process.env.FIREBASE_AUTH_EMULATOR_HOST || "127.0.0.1:9099",
  firestore: process.env.FIRESTORE_EMULATOR_HOST || "127.0.0.1:8080",
  functions: process.env.FUNCTIONS_EMULATOR_HOST || "127.0.0.1:5001",
  fcm: process.env.FCM_EMULATOR_HOST || "127.0.0.1:9599",
};

/** The password of every demo user (Auth emulator only). */
export const DEMO_PASSWORD = "push-demo";

/**
 * A fixed token shaped like the ones FCM hands out and the FCM emulator mints (`<instance id>:APA91b<base64url>`,
 * 169 characters, accepted in its strict tokens mode), derived from `name` and ending in `tail`. Fixed so that
 * re-seeding finds the same `devices` docs; the last 6 characters, all the demo ever shows of a token, name
 * the device.
 */
function demoToken(name, tail) {
  const digest = (salt) => createHash("sha256").update(`${name}/${salt}`).digest("base64url");
  const body = [1, 2, 3, 4].map(digest).join("");
  return `${digest("instance").slice(0, 22)}:APA91b${body.slice(0, 140 - tail.length)}${tail}`;
}

/** Who lives in the demo world, each with the device their app registers. */
export const DEMO_USERS = {
  alice: {
    uid: "demo-alice",
    email: "alice@demo-push.test",
    displayName: "Alice Martin",
    device: { token: demoToken("alice", "-pixel"), platform: "android", locale: "en-US" },
  },
  bob: {
    uid: "demo-bob",
    email: "bob@demo-push.test",
    displayName: "Bob Jones",
    device: { token: demoToken("bob", "chrome"), platform: "web", locale: "en-GB" },
  },
  minji: {
    uid: "demo-minji",
    email: "minji@demo-push.test",
    displayName: "김민지",
    device: { token: demoToken("minji", "iphone"), platform: "ios", locale: "ko-KR" },
  },
};

/** Alice's post; 김민지 follows it. */
export const DEMO_POST = {
  id: "demo-welcome",
  authorId: DEMO_USERS.alice.uid,
  title: "Welcome to the push demo",
};
export const DEMO_FOLLOWER = DEMO_USERS.minji.uid;

/** The emulators (of `names`, keys of HOSTS) that nothing listens for, as "Auth emulator (127.0.0.1:9099)". */
export async function emulatorsDown(names) {
  const labels = { auth: "Auth", firestore: "Firestore", functions: "Functions", fcm: "FCM" };
  const up = await Promise.all(names.map((name) => listening(HOSTS[name])));
  return names.filter((_, i) => !up[i]).map((name) => `${labels[name]} emulator (${HOSTS[name]})`);
}
