// The trigger's fan-out alone, in a child process (bench/fanout.child.mjs): its peak heap as the audience
// grows tenfold (10,000 then 100,000 recipients, a device each), and the Firestore documents it reads per
// recipient for one comment. The comment is handed to the handler as its event (not written), so the
// Functions emulator's own trigger stays out of it.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  benchToken,
  clearFcmLog,
  progress,
  resetBenchDatabase,
  round,
  writeInBatches,
} from "./bench-support.mjs";

const require = createRequire(import.meta.url);
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "fanout.child.mjs");

/** A post followed by `recipients` users of one device each (device docs and their lists, as registered). */
async function seedAudience(db, recipients) {
  const { Timestamp } = require("firebase-admin/firestore");
  const { deviceIdOf } = require("../functions/lib/devices/deviceId.js");
  const { listEntryOf } = require("../functions/lib/devices/seed.js");
  const run = randomUUID().slice(0, 8);
  const postId = `bench-mem-${run}`;
  const now = Timestamp.now();
  // Subscribed an hour ago: the first comment folds them into the post's roster (functions/src/posts/roster.ts).
  const subscribedAt = Timestamp.fromMillis(now.toMillis() - 3_600_000);
  const started = performance.now();
  await db
    .doc(`posts/${postId}`)
    .set({ authorId: `bench-mem-author-${run}`, title: "Memory", createdAt: now });
  await db.doc(`users/bench-mem-commenter-${run}`).set({ displayName: "Bench" });
  await writeInBatches(
    db,
    recipients,
    (batch, i) => {
      const uid = `bench-mem-${run}-${String(i).padStart(6, "0")}`;
      const device = {
        uid,
        token: benchToken(`bench-mem-${run}-${i}`),
        platform: "android",
        locale: i % 2 === 0 ? "ko-KR" : "en-US",
        appVersion: "1.0.0",
        createdAt: now,
        lastSeenAt: now,
      };
      const deviceId = deviceIdOf(device.token);
      batch.set(db.doc(`posts/${postId}/subscribers/${uid}`), { muted: false, since: subscribedAt });
      batch.set(db.doc(`devices/${deviceId}`), device);
      batch.set(db.doc(`userDevices/${uid}`), { devices: { [deviceId]: listEntryOf(device) } });
    },
    4,
    166,
  );
  progress(`seeded ${recipients} recipients in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { postId, run, recipients, deliveries: [], posts: [postId] };
}

/** Another post followed by the same users, subscribed an hour ago and not folded yet (no comment so far). */
async function addPost(db, world) {
  const { Timestamp } = require("firebase-admin/firestore");
  const postId = `${world.postId}-${world.posts.length}`;
  const subscribedAt = Timestamp.fromMillis(Date.now() - 3_600_000);
  await db
    .doc(`posts/${postId}`)
    .set({ authorId: `bench-mem-author-${world.run}`, title: "Reads", createdAt: subscribedAt });
  await writeInBatches(
    db,
    world.recipients,
    (batch, i) =>
      batch.set(db.doc(`posts/${postId}/subscribers/${uidOf(world.run, i)}`), {
        muted: false,
        since: subscribedAt,
      }),
    4,
    500,
  );
  world.posts.push(postId);
  return postId;
}

/**
 * Removes the world: the bench's database emptied at once under `npm run bench`; elsewhere deleted by key
 * (a query over 100,000 documents is slow in the Firestore emulator: it scans).
 */
async function cleanUp(db, world) {
  if (await resetBenchDatabase()) return;
  const { deviceIdOf } = require("../functions/lib/devices/deviceId.js");
  const writer = db.bulkWriter({ throttling: false });
  for (let i = 0; i < world.recipients; i++) {
    const uid = uidOf(world.run, i);
    for (const postId of world.posts) void writer.delete(db.doc(`posts/${postId}/subscribers/${uid}`));
    void writer.delete(db.doc(`userDevices/${uid}`));
    void writer.delete(db.doc(`devices/${deviceIdOf(tokenOf(world.run, i))}`));
  }
  for (const postId of world.posts) {
    void writer.delete(db.doc(`posts/${postId}`));
    for (let n = 0; n * 5_000 < world.recipients; n++)
      void writer.delete(db.doc(`posts/${postId}/roster/${n}`));
    void writer.delete(db.doc(`posts/${postId}/roster/meta`));
  }
  for (const path of world.deliveries) void writer.delete(db.doc(path));
  void writer.delete(db.doc(`users/bench-mem-commenter-${world.run}`));
  await writer.close();
}

const uidOf = (run, i) => `bench-mem-${run}-${String(i).padStart(6, "0")}`;
const tokenOf = (run, i) => benchToken(`bench-mem-${run}-${i}`);

function fanOutInChild(world, countReads, postId = world.postId) {
  const commentId = `bench-mem-comment-${randomUUID().slice(0, 8)}`;
  // The child's delivery record (bench/fanout.child.mjs names the event so).
  world.deliveries.push(`pushDeliveries/bench-fanout-${commentId}`);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--expose-gc",
        CHILD,
        postId,
        commentId,
        `bench-mem-commenter-${world.run}`,
        ...(countReads ? ["--count-reads"] : []),
      ],
      { stdio: ["ignore", "inherit", "inherit", "ipc"] },
    );
    let result;
    child.on("message", (message) => {
      result = message;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0 && result) resolve(result);
      else reject(new Error(`fan-out child exited with ${code}`));
    });
  });
}

/** Peak heap at 10,000 and 100,000 recipients, and reads per recipient at 10,000. */
export async function measureFanOutMemory(db, { sizes }) {
  const memory = {};
  let reads;
  for (const size of sizes) {
    const world = await seedAudience(db, size);
    try {
      await clearFcmLog();
      const run = await fanOutInChild(world, false);
      const counts = run.outcome.counts ?? {};
      if (run.outcome.status !== "done" || counts.sent !== size) {
        throw new Error(`fan-out to ${size}: ${JSON.stringify(run.outcome)}`);
      }
      memory[size] = {
        recipients: counts.recipients,
        messages: counts.sent,
        seconds: round(run.seconds, 1),
        heap_baseline_mib: round(run.heapBaselineMiB, 1),
        peak_heap_mib: round(run.heapPeakMiB, 1),
        peak_live_heap_mib: round(run.liveHeapPeakMiB, 1),
      };
      progress(
        `fan-out memory, ${size} recipients: peak live heap ${memory[size].peak_live_heap_mib} MiB ` +
          `(sampled peak ${memory[size].peak_heap_mib} MiB), ${memory[size].seconds} s`,
      );
      if (size === sizes[0]) {
        // A comment on a post whose subscribers its last comment folded (the memory run's): the usual case.
        await clearFcmLog();
        const steady = await fanOutInChild(world, true);
        // And the first comment on a post: it reads every subscriber doc, and folds them.
        const first = await fanOutInChild(world, true, await addPost(db, world));
        const perRecipient = (run) => round(run.reads / run.outcome.counts.recipients, 3);
        reads = {
          recipients: steady.outcome.counts.recipients,
          reads: steady.reads,
          reads_per_recipient: perRecipient(steady),
          first_comment_reads: first.reads,
          first_comment_reads_per_recipient: perRecipient(first),
        };
        progress(
          `reads: ${steady.reads} documents for ${steady.outcome.counts.recipients} recipients ` +
            `(the post's first comment: ${first.reads})`,
        );
      }
    } finally {
      await clearFcmLog();
      await cleanUp(db, world);
    }
  }
  const [small, large] = sizes;
  return {
    memory,
    reads,
    // What the fan-out holds (live after a full collection), as the audience grows tenfold.
    fanout_memory_ratio: round(memory[large].peak_live_heap_mib / memory[small].peak_live_heap_mib, 2),
    // The sampled peak, garbage included: when V8 collects is its own choice (reported, not the target).
    fanout_sampled_heap_ratio: round(memory[large].peak_heap_mib / memory[small].peak_heap_mib, 2),
  };
}
