// Wall time of one comment's fan-out through the emulator suite: a post followed by N users with one device
// each (seeded with the Admin SDK), then comments written one after another; each is timed from the write
// to its `pushDeliveries` doc reading `done`, through the real trigger in the Functions emulator, Firestore
// reads, composition and `sendEach` to the FCM emulator. The first comment includes the trigger's cold start.
//
//   npm run build && node emulators/run.mjs exec "node bench/fanout.bench.mjs [--devices 1000] [--comments 3]"
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { initializeApp, deleteApp } = require("firebase-admin/app");
const { getFirestore, FieldValue } = require("firebase-admin/firestore");

const PROJECT = "demo-push";

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

const deviceCount = option("devices", 1000);
const commentCount = option("comments", 3);
if (!process.env.FIRESTORE_EMULATOR_HOST || !process.env.FCM_EMULATOR_HOST) {
  throw new Error('run inside the emulators: node emulators/run.mjs exec "node bench/fanout.bench.mjs"');
}

const app = initializeApp({ projectId: PROJECT }, `bench-fanout-${randomUUID()}`);
const db = getFirestore(app);
const run = randomUUID().slice(0, 8);
const postId = `bench-post-${run}`;
const author = `bench-author-${run}`;
const commenter = `bench-commenter-${run}`;
const followers = Array.from({ length: deviceCount }, (_, i) => `bench-follower-${run}-${i}`);
const tokens = followers.map((uid) => `bench-${uid}-${randomUUID()}`);
const deviceRefs = [];

async function commitInBatches(writes) {
  for (let start = 0; start < writes.length; start += 500) {
    const batch = db.batch();
    for (const write of writes.slice(start, start + 500)) write(batch);
    await batch.commit();
  }
}

async function seed() {
  const { createHash } = await import("node:crypto");
  const now = FieldValue.serverTimestamp();
  const writes = [
    (b) => b.set(db.doc(`users/${commenter}`), { displayName: "Bench" }),
    (b) => b.set(db.doc(`posts/${postId}`), { authorId: author, title: "Benchmark", createdAt: now }),
  ];
  followers.forEach((uid, i) => {
    const token = tokens[i];
    const ref = db.doc(`devices/${createHash("sha256").update(token, "utf8").digest("hex")}`);
    deviceRefs.push(ref);
    writes.push((b) =>
      b.set(ref, {
        uid,
        token,
        platform: i % 3 === 0 ? "ios" : "android",
        locale: i % 2 === 0 ? "ko-KR" : "en-US",
        appVersion: "1.0.0",
        createdAt: now,
        lastSeenAt: now,
      }),
    );
    writes.push((b) => b.set(db.doc(`posts/${postId}/subscribers/${uid}`), { muted: false, since: now }));
  });
  await commitInBatches(writes);
}

async function messagesFor(commentId) {
  const response = await fetch(
    `http://${process.env.FCM_EMULATOR_HOST}/emulator/v1/projects/${PROJECT}/messages`,
  );
  const { messages } = await response.json();
  return messages.filter((entry) => entry.message.data?.commentId === commentId).length;
}

async function timeOneComment(n) {
  const commentRef = db.collection(`posts/${postId}/comments`).doc();
  const started = performance.now();
  await commentRef.set({
    authorId: commenter,
    text: `Comment ${n} `.repeat(30),
    createdAt: FieldValue.serverTimestamp(),
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const found = await db.collection("pushDeliveries").where("commentId", "==", commentRef.id).get();
    const delivery = found.docs[0]?.data();
    if (delivery && delivery.status !== "sending") {
      const seconds = (performance.now() - started) / 1000;
      const inFunction = (delivery.finishedAt.toMillis() - delivery.createdAt.toMillis()) / 1000;
      return {
        seconds,
        inFunction,
        delivery,
        received: await messagesFor(commentRef.id),
        ref: found.docs[0].ref,
      };
    }
    if (Date.now() > deadline) throw new Error(`comment ${n}: no finished delivery after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const deliveries = [];
try {
  const seeding = performance.now();
  await seed();
  console.log(
    `seeded ${deviceCount} followers with a device each in ${((performance.now() - seeding) / 1000).toFixed(1)} s`,
  );
  for (let n = 1; n <= commentCount; n++) {
    const { seconds, inFunction, delivery, received, ref } = await timeOneComment(n);
    deliveries.push(ref);
    const { status, recipients, sent, failed, rejected, retries } = delivery;
    console.log(
      `comment ${n}${n === 1 ? " (cold start)" : ""}: ${seconds.toFixed(2)} s write → delivery ${status} ` +
        `(${inFunction.toFixed(2)} s inside the function); recipients ${recipients}, sent ${sent}, failed ${failed}, ` +
        `rejected ${rejected}, retries ${retries}; FCM emulator received ${received}`,
    );
  }
} finally {
  await db.recursiveDelete(db.doc(`posts/${postId}`));
  await commitInBatches([
    ...deviceRefs.map((ref) => (b) => b.delete(ref)),
    ...deliveries.map((ref) => (b) => b.delete(ref)),
    (b) => b.delete(db.doc(`users/${commenter}`)),
  ]);
  await deleteApp(app);
}
