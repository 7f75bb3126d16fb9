// The comment push through its real path: a comment written with the Admin SDK into the Firestore
// emulator, the Functions emulator firing onCommentCreated, the trigger reading the post, subscribers,
// names and devices, composing and sending to the FCM emulator, and recording `pushDeliveries`.
// Times come from the bench's clock at the write and from the FCM emulator's `receivedAt` of each
// message (same machine, same clock), and the delivery's `finishedAt`.
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import {
  benchToken,
  clearFcmLog,
  fcmLog,
  median,
  medianRun,
  percentile,
  progress,
  round,
  setFcmLatency,
  waitFor,
  writeInBatches,
} from "./bench-support.mjs";
import { cpuPerMessage, cpuSnapshot } from "./cpu.mjs";

const require = createRequire(import.meta.url);

/**
 * A post with `subscribers` followers of `devicesEach` devices each (device docs as registerDevice writes
 * them), its author (no devices) and a commenter with a display name.
 */
export async function seedPostWorld(db, { label, subscribers, devicesEach }) {
  const { FieldValue, Timestamp } = require("firebase-admin/firestore");
  const { seedDevices } = require("../functions/lib/devices/seed.js");
  const run = randomUUID().slice(0, 8);
  const world = {
    label: `bench-${label}-${run}`,
    postId: `bench-${label}-${run}`,
    postIds: [`bench-${label}-${run}`],
    author: `bench-${label}-author-${run}`,
    commenter: `bench-${label}-commenter-${run}`,
    deviceIds: [],
    commentIds: [],
    devices: subscribers * devicesEach,
  };
  const now = Timestamp.now();
  const started = performance.now();
  await Promise.all([
    db.doc(`users/${world.commenter}`).set({ displayName: "Bench Commenter" }),
    db
      .doc(`posts/${world.postId}`)
      .set({ authorId: world.author, title: "Benchmark", createdAt: FieldValue.serverTimestamp() }),
  ]);
  const uidOf = (s) => `bench-${label}-sub-${run}-${s}`;
  await writeInBatches(db, subscribers, (batch, s) =>
    batch.set(db.doc(`posts/${world.postId}/subscribers/${uidOf(s)}`), { muted: false, since: now }),
  );
  world.deviceIds = await seedDevices(
    db,
    Array.from({ length: world.devices }, (_, i) => ({
      uid: uidOf(Math.floor(i / devicesEach)),
      token: benchToken(`bench-${label}-${run}-${i}`),
      platform: i % 3 === 0 ? "ios" : i % 3 === 1 ? "android" : "web",
      locale: i % 2 === 0 ? "ko-KR" : "en-US",
      appVersion: "1.0.0",
      createdAt: now,
      lastSeenAt: now,
    })),
  );
  world.uids = Array.from({ length: subscribers }, (_, s) => uidOf(s));
  progress(
    `seeded post ${world.postId}: ${subscribers} subscribers × ${devicesEach} devices in ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return world;
}

export async function cleanUpPostWorld(db, world) {
  const writer = db.bulkWriter({ throttling: false });
  for (const id of world.deviceIds) void writer.delete(db.doc(`devices/${id}`));
  for (const uid of world.uids ?? []) {
    void writer.delete(db.doc(`userDevices/${uid}`));
    void writer.delete(db.doc(`notifications/${uid}`));
  }
  void writer.delete(db.doc(`users/${world.commenter}`));
  await writer.close();
  // One query a post, not one a comment: the emulator scans pushDeliveries for each (a flood has 1,000).
  for (const postId of world.postIds) {
    const found = await db.collection("pushDeliveries").where("postId", "==", postId).select("fanOut").get();
    // A delivery through tasks keeps its slices and plan in subcollections; the others are one doc.
    const deletes = db.bulkWriter({ throttling: false });
    for (const doc of found.docs) {
      if (doc.get("fanOut") === "tasks") await db.recursiveDelete(doc.ref);
      else void deletes.delete(doc.ref);
    }
    await deletes.close();
  }
  for (const postId of world.postIds) {
    // A trigger may still be writing under the post (a late subscriber doc): what it leaves is only litter,
    // not a failed measurement (and `npm run bench` empties the database between sessions anyway).
    await db.recursiveDelete(db.doc(`posts/${postId}`)).catch((error) => {
      progress(`clean-up of posts/${postId} left something behind: ${error.message}`);
    });
  }
}

/**
 * A new post of the world's author, followed by all its subscribers, made the world's current post: every
 * measured comment goes to a post of its own, so none is folded into a coalescing window (docs/coalescing.md).
 */
export async function freshPost(db, world) {
  const { FieldValue, Timestamp } = require("firebase-admin/firestore");
  world.postId = `${world.label}-${world.postIds.length}`;
  world.postIds.push(world.postId);
  const now = Timestamp.now();
  await db
    .doc(`posts/${world.postId}`)
    .set({ authorId: world.author, title: "Benchmark", createdAt: FieldValue.serverTimestamp() });
  await writeInBatches(db, world.uids.length, (batch, s) =>
    batch.set(db.doc(`posts/${world.postId}/subscribers/${world.uids[s]}`), { muted: false, since: now }),
  );
}

/** Writes one comment and returns its ref and the bench clock at the write. */
async function writeComment(db, world, text) {
  const { FieldValue } = require("firebase-admin/firestore");
  const ref = db.collection(`posts/${world.postId}/comments`).doc();
  world.commentIds.push(ref.id);
  const writtenAt = Date.now();
  await ref.set({ authorId: world.commenter, text, createdAt: FieldValue.serverTimestamp() });
  return { commentId: ref.id, writtenAt };
}

async function finishedDelivery(db, commentId, timeoutMs, intervalMs) {
  return waitFor(
    async () => {
      const found = await db.collection("pushDeliveries").where("commentId", "==", commentId).get();
      const delivery = found.docs[0]?.data();
      return delivery && delivery.status !== "sending" ? delivery : undefined;
    },
    { timeoutMs, intervalMs, what: `the delivery of comment ${commentId}` },
  );
}

/** Arrival times (epoch ms) of the FCM emulator's messages for a comment. */
async function arrivalsOf(commentId) {
  return (await fcmLog())
    .filter((entry) => entry.message.data?.commentId === commentId)
    .map((entry) => Date.parse(entry.receivedAt));
}

/** One comment to every device of `world`: write → last push, write → delivery `done`. */
async function fanOutOnce(db, world, timeoutMs) {
  await freshPost(db, world);
  await clearFcmLog();
  const cpuBefore = cpuSnapshot();
  const { commentId, writtenAt } = await writeComment(db, world, "Fan-out benchmark comment. ".repeat(8));
  // Times come from the FCM emulator's receivedAt: polling slowly only keeps the bench off the CPU it measures.
  const delivery = await finishedDelivery(db, commentId, timeoutMs, 500);
  const cpuAfter = cpuSnapshot();
  const arrivals = await arrivalsOf(commentId);
  if (delivery.status !== "done" || delivery.sent !== world.devices || arrivals.length !== world.devices) {
    throw new Error(
      `fan-out: delivery ${delivery.status}, sent ${delivery.sent}, FCM emulator received ${arrivals.length} ` +
        `of ${world.devices} (error: ${delivery.error ?? "none"})`,
    );
  }
  const firstAt = Math.min(...arrivals);
  const lastAt = Math.max(...arrivals);
  const toLastPush = (lastAt - writtenAt) / 1000;
  return {
    path: delivery.slices === undefined ? "trigger sends" : `tasks, ${delivery.slices} slices`,
    messages: arrivals.length,
    seconds_to_last_push: round(toLastPush, 2),
    seconds_to_done: round((delivery.finishedAt.toMillis() - writtenAt) / 1000, 2),
    seconds_in_function: round((delivery.finishedAt.toMillis() - delivery.createdAt.toMillis()) / 1000, 2),
    seconds_to_first_push: round((firstAt - writtenAt) / 1000, 2),
    messages_per_s: round(arrivals.length / toLastPush),
    // The send phase alone: before the first push the trigger reads the post, subscribers, opt-outs and devices.
    send_phase_messages_per_s: round(arrivals.length / ((lastAt - firstAt) / 1000)),
    // Write → delivery seen done (the poll's last 500 ms at most are idle), per process (cpu.mjs).
    cpu_us_per_message: cpuPerMessage(cpuBefore, cpuAfter, arrivals.length),
  };
}

/**
 * `runs` comments to the world's devices with the FCM emulator answering after `latencyMs`; the median run.
 * `warmUp` comments before them are sent and checked but not timed, as the ceiling warms up before it is
 * measured (sending.mjs): a trigger's first fan-outs of this size run slower (its heap and JIT).
 */
export async function measureFanOut(db, world, { latencyMs, runs, timeoutMs, warmUp = 0 }) {
  await setFcmLatency(latencyMs);
  for (let run = 1; run <= warmUp; run += 1) {
    const result = await fanOutOnce(db, world, timeoutMs);
    progress(
      `fan-out at ${latencyMs} ms, warm-up ${run}/${warmUp}: ${result.messages} pushes, write → last push ` +
        `${result.seconds_to_last_push} s (${result.messages_per_s} messages/s), not counted`,
    );
  }
  const results = [];
  for (let run = 1; run <= runs; run += 1) {
    const result = await fanOutOnce(db, world, timeoutMs);
    results.push(result);
    progress(
      `fan-out at ${latencyMs} ms, run ${run}/${runs} (${result.path}): ${result.messages} pushes, write → last push ` +
        `${result.seconds_to_last_push} s (${result.messages_per_s} messages/s), write → done ${result.seconds_to_done} s, ` +
        `in the function ${result.seconds_in_function} s, first push after ${result.seconds_to_first_push} s`,
    );
  }
  await setFcmLatency(0);
  const middle = medianRun(results);
  return {
    latency_ms: latencyMs,
    devices: world.devices,
    runs,
    warm_up_runs: warmUp,
    ...middle,
    all_runs_messages_per_s: results.map((r) => r.messages_per_s),
  };
}

/** "HH:MM" of `minutes` after midnight, wrapped into a day. */
function hhmm(minutes) {
  const wrapped = ((minutes % 1440) + 1440) % 1440;
  return `${String(Math.floor(wrapped / 60)).padStart(2, "0")}:${String(wrapped % 60).padStart(2, "0")}`;
}

/** Every subscriber of `world` with stored preferences: every kind on, and `quietHours` (or none). */
async function storePreferences(db, world, quietHours) {
  const kinds = { comments: true, follows: true, announcements: true };
  await writeInBatches(db, world.uids.length, (batch, s) =>
    batch.set(db.doc(`notifications/${world.uids[s]}`), { preferences: { kinds, quietHours } }),
  );
}

/**
 * The quiet-hours fan-out beside the same one without: every recipient's preferences stored, first with no
 * quiet hours, then with quiet hours holding now (in zones around the world, each from an hour ago to ten
 * hours from now, local time), `runs` comments each in turn; checks that every push of the quiet runs was
 * silent. Returns the median run of each.
 */
export async function measureQuietFanOut(db, world, { runs, timeoutMs }) {
  const zones = ["Asia/Seoul", "Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"];
  const localMinutes = (timeZone) => {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(Date.now())
      .reduce((all, part) => ({ ...all, [part.type]: part.value }), {});
    return Number(parts.hour) * 60 + Number(parts.minute);
  };
  await storePreferences(db, world, null);
  const loud = await measureFanOut(db, world, { latencyMs: 0, runs, timeoutMs });
  const kinds = { comments: true, follows: true, announcements: true };
  await writeInBatches(db, world.uids.length, (batch, s) => {
    const timeZone = zones[s % zones.length];
    const now = localMinutes(timeZone);
    const quietHours = { start: hhmm(now - 60), end: hhmm(now + 600), timeZone };
    batch.set(db.doc(`notifications/${world.uids[s]}`), { preferences: { kinds, quietHours } });
  });
  const quiet = await measureFanOut(db, world, { latencyMs: 0, runs, timeoutMs });
  // The FCM emulator's log holds the last quiet run's pushes.
  const log = await fcmLog();
  const silent = log.filter(
    (entry) =>
      entry.message.data?.quiet === "true" && entry.message.android?.notification?.channel_id === "quiet",
  ).length;
  progress(`quiet fan-out: ${silent} of ${log.length} pushes of the last run silent`);
  if (silent !== world.devices) throw new Error(`quiet fan-out: ${silent} of ${world.devices} pushes silent`);
  return { loud, quiet, quiet_messages: silent };
}

/** Write → first push for `comments` comments in turn, each to the world's devices, after `warmUp` unmeasured ones. */
export async function measureEndToEnd(db, world, { comments, warmUp }) {
  await setFcmLatency(0);
  const firsts = [];
  const lasts = [];
  for (let n = 0; n < warmUp + comments; n += 1) {
    await freshPost(db, world);
    await clearFcmLog();
    const { commentId, writtenAt } = await writeComment(db, world, `Comment ${n}`);
    const arrivals = await waitFor(
      async () => {
        const found = await arrivalsOf(commentId);
        return found.length === world.devices ? found : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 25, what: `the pushes of comment ${commentId}` },
    );
    await finishedDelivery(db, commentId, 60_000, 20);
    if (n >= warmUp) {
      firsts.push(Math.min(...arrivals) - writtenAt);
      lasts.push(Math.max(...arrivals) - writtenAt);
    }
    if ((n + 1) % 10 === 0 || n + 1 === warmUp) {
      progress(`end-to-end: ${n + 1}/${warmUp + comments} comments (${Math.min(n + 1, warmUp)} warm-up)`);
    }
  }
  return {
    comments,
    devices_each: world.devices,
    warm_up_comments: warmUp,
    first_push_median_ms: median(firsts),
    first_push_p95_ms: percentile(firsts, 95),
    last_push_median_ms: median(lasts),
    last_push_p95_ms: percentile(lasts, 95),
  };
}
