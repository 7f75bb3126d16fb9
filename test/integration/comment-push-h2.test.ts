// The comment push over production's transport: the trigger, in the Functions emulator, sends with
// firebase-admin's default HTTP/2 transport (redirected to the FCM emulator, functions/src/shared/
// fcmEmulatorSeam.ts), and a connection that ends mid-batch loses nothing and doubles nothing: a GOAWAY
// after 50 streams (the rest refused, never processed) and a reset after 50 (the rest lost in flight;
// comment pushes are collapse-safe, so they are sent again).
import { randomUUID } from "node:crypto";
import { FieldValue, Timestamp } from "firebase-admin/firestore";
import { seedDevices, type SeedDevice } from "../../functions/src/devices/seed";
import { USER_DEVICES } from "../../functions/src/devices/userDevices";
import { deviceIdOf } from "../../functions/src/devices/deviceId";
import { clearFaults, finishedDeliveriesOf } from "../support/commentPush";
import { adminDb, closeEmulatorConnections, PROJECT_ID, uniqueToken } from "../support/emulators";

const FCM = `http://${process.env.FCM_EMULATOR_HOST ?? "127.0.0.1:9599"}`;
const SUBSCRIBERS = 100;
const DEVICES_EACH = 3;
/** Seeding 300 devices, the trigger (a cold start for the first test) and the delivery, on a shared 2-core machine. */
const TEST_TIMEOUT_MS = 120_000;

const made: { postIds: string[]; uids: string[]; tokens: string[]; commentIds: string[] } = {
  postIds: [],
  uids: [],
  tokens: [],
  commentIds: [],
};

afterEach(async () => {
  await clearFaults();
  const db = adminDb();
  const deliveries = await Promise.all(
    made.commentIds.map((id) => db.collection("pushDeliveries").where("commentId", "==", id).get()),
  );
  await Promise.all([
    ...made.postIds.map((postId) => db.recursiveDelete(db.collection("posts").doc(postId))),
    ...made.uids.flatMap((uid) => [
      db.collection("users").doc(uid).delete(),
      db.collection(USER_DEVICES).doc(uid).delete(),
    ]),
    ...made.tokens.map((token) => db.collection("devices").doc(deviceIdOf(token)).delete()),
    ...deliveries.flatMap((query) => query.docs.map((snapshot) => snapshot.ref.delete())),
  ]);
  for (const list of Object.values(made)) list.length = 0;
});
afterAll(closeEmulatorConnections);

async function armConnectionFault(fault: { kind: "goaway" | "reset"; afterStreams: number }) {
  const response = await fetch(`${FCM}/emulator/v1/faults`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(fault),
  });
  if (!response.ok) throw new Error(`arming ${fault.kind}: HTTP ${response.status}`);
}

/** What the FCM emulator logged for these tokens: how many each, and over which transports. */
async function loggedFor(tokens: string[]) {
  const wanted = new Set(tokens);
  const response = await fetch(`${FCM}/emulator/v1/projects/${PROJECT_ID}/messages`);
  const { messages } = (await response.json()) as {
    messages: { message: { token: string }; protocol: string }[];
  };
  const mine = messages.filter((entry) => wanted.has(entry.message.token));
  const counts = new Map<string, number>();
  for (const entry of mine) counts.set(entry.message.token, (counts.get(entry.message.token) ?? 0) + 1);
  return { total: mine.length, counts, protocols: new Set(mine.map((entry) => entry.protocol)) };
}

/** A post with SUBSCRIBERS followers of DEVICES_EACH devices each, seeded with the Admin SDK; the comment is written last. */
async function popularPost() {
  const db = adminDb();
  const run = randomUUID().slice(0, 8);
  const postId = `h2-post-${run}`;
  const author = `h2-author-${run}`;
  const commenter = `h2-commenter-${run}`;
  const now = Timestamp.now();
  made.postIds.push(postId);
  made.uids.push(author, commenter);
  const devices: SeedDevice[] = [];
  const writer = db.bulkWriter({ throttling: false });
  void writer.set(db.doc(`users/${commenter}`), { displayName: "Many" });
  void writer.set(db.doc(`posts/${postId}`), { authorId: author, title: "Popular", createdAt: now });
  for (let s = 0; s < SUBSCRIBERS; s++) {
    const uid = `h2-follower-${run}-${s}`;
    made.uids.push(uid);
    void writer.set(db.doc(`posts/${postId}/subscribers/${uid}`), { muted: false, since: now });
    for (let d = 0; d < DEVICES_EACH; d++) {
      const token = uniqueToken("h2");
      made.tokens.push(token);
      devices.push({ uid, token, platform: "android", locale: "en-US", createdAt: now, lastSeenAt: now });
    }
  }
  await writer.close();
  await seedDevices(db, devices);
  return {
    tokens: [...made.tokens],
    async comment() {
      const ref = await db
        .collection(`posts/${postId}/comments`)
        .add({ authorId: commenter, text: "To everyone", createdAt: FieldValue.serverTimestamp() });
      made.commentIds.push(ref.id);
      const deliveries = await finishedDeliveriesOf(ref.id, 90_000);
      expect(deliveries).toHaveLength(1);
      return deliveries[0];
    },
  };
}

describe("the comment push over HTTP/2", () => {
  it(
    "arrives over h2, one push per device",
    async () => {
      const post = await popularPost();
      const delivery = await post.comment();
      const log = await loggedFor(post.tokens);
      expect(delivery).toMatchObject({ status: "done", sent: post.tokens.length, failed: 0 });
      expect(log.protocols).toEqual(new Set(["h2"]));
      expect(log.total).toBe(post.tokens.length);
    },
    TEST_TIMEOUT_MS,
  );

  it.each([{ kind: "goaway" as const }, { kind: "reset" as const }])(
    "a $kind after 50 streams: done, every device pushed exactly once, sent equal to the emulator's log",
    async ({ kind }) => {
      const post = await popularPost();
      await armConnectionFault({ kind, afterStreams: 50 });
      const delivery = await post.comment();
      const log = await loggedFor(post.tokens);

      expect(delivery?.status).toBe("done");
      expect(delivery?.sent).toBe(log.total);
      expect(log.total).toBe(post.tokens.length);
      expect([...log.counts.values()].every((count) => count === 1)).toBe(true);
      // The fault struck: it was used up by the trigger's connection.
      const armed = (await (await fetch(`${FCM}/emulator/v1/faults`)).json()) as { connection?: unknown };
      expect(armed.connection).toBeUndefined();
    },
    TEST_TIMEOUT_MS,
  );
});
