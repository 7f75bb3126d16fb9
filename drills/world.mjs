// What a drill arranges and reads: a post with followers and their devices (written with the Admin SDK into
// the Firestore emulator), the pushes each device received (the FCM emulator's log), and the delivery record.
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { initializeApp } = require("firebase-admin/app");
const { getFirestore, Timestamp } = require("firebase-admin/firestore");
// Devices as registerDevice leaves them: the device docs and their owners' userDevices lists.
const { seedDevices } = require("../functions/lib/devices/seed.js");

export const PROJECT_ID = "demo-push";
const FCM = `http://${process.env.FCM_EMULATOR_HOST ?? "127.0.0.1:9599"}`;

export const db = getFirestore(initializeApp({ projectId: PROJECT_ID }, `drills-${randomUUID()}`));

/**
 * A post by a fresh author (no devices) with `followers` subscribed followers of `devicesEach` devices each,
 * or of `devicesOf(f)` devices for follower `f` (0: a recipient without any device). `uids` are the
 * followers', `author` the post's.
 */
export async function arrangePost({ followers, devicesEach, devicesOf = () => devicesEach }) {
  const run = randomUUID().slice(0, 8);
  const postId = `drill-post-${run}`;
  const author = `drill-author-${run}`;
  const commenter = `drill-commenter-${run}`;
  const writer = db.bulkWriter({ throttling: false });
  const now = Timestamp.now();
  void writer.set(db.doc(`posts/${postId}`), { authorId: author, title: "Drill", createdAt: now });
  void writer.set(db.doc(`users/${commenter}`), { displayName: "Drill" });
  const tokens = [];
  const devices = [];
  const uids = [];
  for (let f = 0; f < followers; f++) {
    const uid = `drill-f${f}-${run}`;
    uids.push(uid);
    void writer.set(db.doc(`posts/${postId}/subscribers/${uid}`), { muted: false, since: now });
    for (let d = 0; d < devicesOf(f); d++) {
      const token = `drill-${run}-${f}-${d}-${randomUUID()}`;
      tokens.push(token);
      devices.push({
        uid,
        token,
        platform: d % 2 === 0 ? "android" : "ios",
        createdAt: now,
        lastSeenAt: now,
      });
    }
  }
  await writer.close();
  await seedDevices(db, devices);
  const commentId = `drill-comment-${run}`;
  return {
    tokens,
    devices,
    uids,
    author,
    event: {
      id: `drill-event-${run}`,
      params: { postId, commentId },
      comment: { authorId: commenter, text: `Drill ${run}` },
    },
  };
}

/** How many pushes each of `tokens` received (accepted by the FCM emulator), by token. */
export async function pushesPerToken(tokens) {
  const response = await fetch(`${FCM}/emulator/v1/projects/${PROJECT_ID}/messages`);
  const { messages } = await response.json();
  const wanted = new Set(tokens);
  const counts = new Map(tokens.map((t) => [t, 0]));
  for (const { message } of messages) {
    if (wanted.has(message.token)) counts.set(message.token, counts.get(message.token) + 1);
  }
  return counts;
}

/** { zero, once, more } over the tokens' counts. */
export function tally(counts) {
  const values = [...counts.values()];
  return {
    zero: values.filter((n) => n === 0).length,
    once: values.filter((n) => n === 1).length,
    more: values.filter((n) => n > 1).length,
  };
}

export async function delivery(eventId) {
  return (await db.doc(`pushDeliveries/${eventId}`).get()).data();
}

/** Polls `read` until `done(value)` or `timeoutMs`; returns the last value. */
export async function eventually(read, done, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
