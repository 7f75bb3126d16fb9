// Seeds the demo world (scripts/demo-world.mjs) into the emulators: three users with a device each and the
// default notification preferences, and a post by Alice that 김민지 follows. `npm start` runs it once the
// emulators are ready (emulators/run.mjs); `npm run demo` plays in the world it leaves.
//
// It writes with the Admin SDK, as the server would, and is idempotent: run again against running emulators
// (`node scripts/demo-seed.mjs`), it resets the demo world to this state instead of failing.
// Reads FIRESTORE_EMULATOR_HOST, FIREBASE_AUTH_EMULATOR_HOST and GCLOUD_PROJECT (defaults: npm start's).
import {
  DEMO_FOLLOWER,
  DEMO_PASSWORD,
  DEMO_POST,
  DEMO_USERS,
  HOSTS,
  PROJECT_ID,
  emulatorsDown,
} from "./demo-world.mjs";
import { createRequire } from "node:module";
import { deviceIdOf } from "./deviceId.mjs";

const { listEntryOf } = createRequire(import.meta.url)("../functions/lib/devices/seed.js");

// The Admin SDK talks to the emulators only when these are set (before it loads): never to a real project.
process.env.FIRESTORE_EMULATOR_HOST = HOSTS.firestore;
process.env.FIREBASE_AUTH_EMULATOR_HOST = HOSTS.auth;

async function seed() {
  const { initializeApp, deleteApp } = await import("firebase-admin/app");
  const { getAuth } = await import("firebase-admin/auth");
  const { getFirestore, FieldValue } = await import("firebase-admin/firestore");
  const app = initializeApp({ projectId: PROJECT_ID }, "demo-seed");
  try {
    const auth = getAuth(app);
    const db = getFirestore(app);
    const now = FieldValue.serverTimestamp();
    const batch = db.batch();

    for (const { uid, email, displayName, device } of Object.values(DEMO_USERS)) {
      const account = { email, password: DEMO_PASSWORD, displayName, emailVerified: true };
      try {
        await auth.createUser({ uid, ...account });
      } catch (error) {
        if (error?.code !== "auth/uid-already-exists") throw error;
        await auth.updateUser(uid, account);
      }
      // users/{uid} holds the display name only (firestore.rules); preferences live on notifications/{uid},
      // which only the server writes: reset to a new user's (every kind on, no quiet hours), so a demo run
      // after someone turned comments off in the demo app still pushes. The doc's other fields stay.
      batch.set(db.collection("users").doc(uid), { displayName });
      batch.set(
        db.collection("notifications").doc(uid),
        { preferences: { kinds: { comments: true, follows: true, announcements: true }, quietHours: null } },
        { mergeFields: ["preferences"] },
      );
      // As registerDevice leaves a device (`deviceDoc` in functions/src/devices/deviceStore.ts).
      const seeded = { uid, ...device, appVersion: "1.0.0", createdAt: now, lastSeenAt: now };
      batch.set(db.collection("devices").doc(deviceIdOf(device.token)), seeded);
      // Its owner's list holds it alone (a reset drops the others, below).
      batch.set(db.collection("userDevices").doc(uid), {
        devices: { [deviceIdOf(device.token)]: listEntryOf(seeded) },
      });
    }

    const post = db.collection("posts").doc(DEMO_POST.id);
    batch.set(post, { authorId: DEMO_POST.authorId, title: DEMO_POST.title, createdAt: now });
    batch.set(post.collection("subscribers").doc(DEMO_FOLLOWER), { muted: false, since: now });

    // A reset, when run again: other devices of the demo users, and other followers of the post, go.
    const seededDevices = new Set(Object.values(DEMO_USERS).map(({ device }) => deviceIdOf(device.token)));
    const uids = Object.values(DEMO_USERS).map(({ uid }) => uid);
    const [devices, followers] = await Promise.all([
      db.collection("devices").where("uid", "in", uids).get(),
      post.collection("subscribers").get(),
    ]);
    devices.docs.filter((doc) => !seededDevices.has(doc.id)).forEach((doc) => batch.delete(doc.ref));
    followers.docs.filter((doc) => doc.id !== DEMO_FOLLOWER).forEach((doc) => batch.delete(doc.ref));
    await batch.commit();
  } finally {
    await deleteApp(app);
  }
}

const down = await emulatorsDown(["auth", "firestore"]);
if (down.length > 0) {
  console.error(
    `The demo seed needs the emulators, and nothing listens for the ${down.join(" or the ")}.\n` +
      "Start them with `npm start` (which seeds the demo world by itself once they are ready).",
  );
  process.exit(1);
}

try {
  await seed();
} catch (error) {
  console.error(`The demo seed failed: ${error?.message ?? error}`);
  process.exit(1);
}
const users = Object.values(DEMO_USERS)
  .map(({ displayName, email }) => `${displayName} <${email}>`)
  .join(", ");
console.log(
  `Demo world seeded: users ${users} (password "${DEMO_PASSWORD}"), a device each (김민지's in ko-KR), ` +
    `and posts/${DEMO_POST.id} by Alice, followed by 김민지.`,
);
