// A comment to 20,000 devices through the task path (issue 7): the comment written with the Admin SDK, the
// Functions emulator's onCommentCreated counting the audience and enqueueing slices on the Cloud Tasks
// emulator, sendPushSlice sending each slice to the FCM emulator, and the last slice ending the
// delivery. Wall time from the write to the delivery's `done`, and messages per second.
//
//   npm run build && node emulators/run.mjs exec "node bench/tasks.bench.mjs [--devices 20000] [--latency 0] [--runs 3]"
//
// Figures go to stdout; its last line is `{"tasks_20000": {...}}` (JSON), also written to
// bench-results.tasks.json at the repo root. Progress goes to stderr. The audience must be above the
// threshold the Functions emulator runs with (PUSH_TASKS_THRESHOLD in functions/.env.local, default 2,000).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  PROJECT,
  adminFirestore,
  clearFcmLog,
  fcmLog,
  medianRun,
  option,
  progress,
  round,
  setFcmLatency,
  waitFor,
} from "./bench-support.mjs";
import { cleanUpPostWorld, freshPost, seedPostWorld } from "./trigger.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RESULTS = path.join(ROOT, "bench-results.tasks.json");
// The most devices a user keeps: as few recipients as the audience allows (2,000 for 20,000 devices).
const DEVICES_EACH = 10;
const SLICE_MAX_DEVICES = 500;

/** A param as the Functions emulator runs with it: from functions/.env.local (or .env files), else its default. */
function emulatorParam(name, fallback) {
  for (const file of [".env.local", `.env.${PROJECT}`, ".env"]) {
    try {
      const match = new RegExp(`^\\s*${name}\\s*=\\s*(\\d+)\\s*$`, "m").exec(
        readFileSync(path.join(ROOT, "functions", file), "utf8"),
      );
      if (match) return Number(match[1]);
    } catch {
      // no such file
    }
  }
  return fallback;
}

export async function measureTasks(db, { devices, latencyMs, runs = 1 }) {
  const threshold = emulatorParam("PUSH_TASKS_THRESHOLD", 2_000);
  if (devices <= threshold) {
    throw new Error(
      `${devices} devices do not exceed PUSH_TASKS_THRESHOLD (${threshold}): no tasks would run`,
    );
  }
  const subscribers = Math.ceil(devices / DEVICES_EACH);
  const world = await seedPostWorld(db, { label: "tasks", subscribers, devicesEach: DEVICES_EACH });
  try {
    await setFcmLatency(latencyMs);
    // Each run a comment on a post of its own (none is folded into another's coalescing window); the median
    // run reported, as the fan-outs are (trigger.mjs): the first run also starts the Functions emulator's
    // sendPushSlice workers, a process each (docs/performance.md).
    const results = [];
    for (let run = 1; run <= runs; run += 1) {
      if (run > 1) await freshPost(db, world);
      const result = await tasksOnce(db, world);
      results.push(result);
      progress(
        `tasks, run ${run}/${runs}: ${world.devices} pushes in ${result.slices} slices, write → last push ` +
          `${result.seconds_to_last_push} s (${result.messages_per_s} messages/s), first slice after ` +
          `${result.seconds_to_first_slice} s`,
      );
    }
    const middle = medianRun(results);
    return {
      devices: world.devices,
      fcm_latency_ms: latencyMs,
      threshold,
      runs,
      ...middle,
      all_runs_messages_per_s: results.map((r) => r.messages_per_s),
      all_runs_seconds_to_first_slice: results.map((r) => r.seconds_to_first_slice),
    };
  } finally {
    await setFcmLatency(0);
    await cleanUpPostWorld(db, world);
  }
}

/** One comment to the world's current post, through tasks: its figures once every device got its push. */
async function tasksOnce(db, world) {
  await clearFcmLog();
  const { FieldValue } = await import("firebase-admin/firestore");
  const ref = db.collection(`posts/${world.postId}/comments`).doc();
  world.commentIds.push(ref.id);
  const writtenAt = Date.now();
  await ref.set({
    authorId: world.commenter,
    text: "Task fan-out benchmark comment. ".repeat(6),
    createdAt: FieldValue.serverTimestamp(),
  });
  progress(`comment written; waiting for ${world.devices} pushes through tasks`);

  let lastProgress = 0;
  const delivery = await waitFor(
    async () => {
      const found = await db.collection("pushDeliveries").where("commentId", "==", ref.id).get();
      const doc = found.docs[0];
      const data = doc?.data();
      if (data && Date.now() - lastProgress > 5_000) {
        lastProgress = Date.now();
        progress(`  ${data.slicesDone ?? 0}/${data.slices ?? "?"} slices, ${data.sent ?? 0} sent`);
      }
      return data && data.status !== "sending" ? { ...data, ref: doc.ref } : undefined;
    },
    { timeoutMs: 600_000, intervalMs: 100, what: `the delivery of comment ${ref.id}` },
  );
  const arrivals = (await fcmLog())
    .filter((entry) => entry.message.data?.commentId === ref.id)
    .map((entry) => ({ token: entry.message.token, at: Date.parse(entry.receivedAt) }));
  const distinct = new Set(arrivals.map((a) => a.token)).size;
  if (
    delivery.status !== "done" ||
    delivery.sent !== world.devices ||
    arrivals.length !== world.devices ||
    distinct !== world.devices
  ) {
    throw new Error(
      `tasks: delivery ${delivery.status}, sent ${delivery.sent}, FCM emulator received ${arrivals.length} ` +
        `(${distinct} distinct) of ${world.devices} (error: ${delivery.error ?? "none"})`,
    );
  }
  const slices = (await delivery.ref.collection("slices").get()).docs.map((doc) => doc.data());
  const firstAt = Math.min(...arrivals.map((a) => a.at));
  const lastAt = Math.max(...arrivals.map((a) => a.at));
  const doneAt = delivery.finishedAt.toMillis();
  const firstSliceAt = Math.min(...slices.map((s) => s.createdAt.toMillis()));
  const breakdown = sliceBreakdown(slices, { writtenAt, firstAt, lastAt, doneAt, delivery });
  progress(`  breakdown: ${JSON.stringify(breakdown)}`);
  await db.recursiveDelete(delivery.ref);
  return {
    slices: delivery.slices,
    slice_max_devices: SLICE_MAX_DEVICES,
    seconds_to_done: round((doneAt - writtenAt) / 1000, 2),
    seconds_to_first_push: round((firstAt - writtenAt) / 1000, 2),
    seconds_to_last_push: round((lastAt - writtenAt) / 1000, 2),
    // Write → trigger planned and enqueued → first slice's gate created.
    seconds_to_first_slice: round((firstSliceAt - writtenAt) / 1000, 2),
    messages_per_s: round(world.devices / ((lastAt - writtenAt) / 1000)),
    send_phase_messages_per_s: round(world.devices / ((lastAt - firstAt) / 1000)),
    max_dispatches_per_s: emulatorParam("PUSH_TASKS_MAX_DISPATCHES_PER_SECOND", 15),
    max_concurrent_dispatches: emulatorParam("PUSH_TASKS_MAX_CONCURRENT_DISPATCHES", 30),
    every_device_once: true,
    breakdown,
  };
}

/**
 * Where the time went, from the slice docs' own times (the gate's createdAt, the finish's finishedAt: both
 * Firestore server times): the trigger until its delivery record and its first slice, each slice's time from
 * gate to counted, how many ran at once on average, and the time no slice was running after the first began.
 */
function sliceBreakdown(slices, { writtenAt, firstAt, lastAt, doneAt, delivery }) {
  const spans = slices
    .map((s) => ({ start: s.createdAt.toMillis(), end: s.finishedAt?.toMillis() ?? s.createdAt.toMillis() }))
    .sort((a, b) => a.start - b.start);
  const durations = spans.map((s) => s.end - s.start).sort((a, b) => a - b);
  const busy = durations.reduce((sum, d) => sum + d, 0);
  let idle = 0;
  let reach = spans[0].start;
  for (const span of spans) {
    if (span.start > reach) idle += span.start - reach;
    reach = Math.max(reach, span.end);
  }
  const wall = reach - spans[0].start;
  const at = (q) => durations[Math.min(durations.length - 1, Math.floor(q * durations.length))];
  return {
    s_write_to_delivery_record: round((delivery.createdAt.toMillis() - writtenAt) / 1000, 2),
    s_write_to_first_slice: round((spans[0].start - writtenAt) / 1000, 2),
    s_first_slice_to_last_counted: round(wall / 1000, 2),
    s_first_push_to_last_push: round((lastAt - firstAt) / 1000, 2),
    s_last_push_to_done: round((doneAt - lastAt) / 1000, 2),
    slice_ms_median: at(0.5),
    slice_ms_p90: at(0.9),
    slice_ms_max: durations[durations.length - 1],
    slices_at_once: round(busy / wall, 2),
    s_no_slice_running: round(idle / 1000, 2),
  };
}

async function main() {
  const devices = option("devices", 20_000);
  const latencyMs = option("latency", 0);
  const runs = option("runs", 1);
  const { db, close } = adminFirestore("bench-tasks");
  try {
    const result = await measureTasks(db, { devices, latencyMs, runs });
    const key = `tasks_${devices}`;
    process.stdout.write(
      [
        `task fan-out, ${result.devices} devices in ${result.slices} slices (FCM ${latencyMs} ms):`,
        `  write → done ${result.seconds_to_done} s, first push after ${result.seconds_to_first_push} s, last push after ${result.seconds_to_last_push} s`,
        `  ${result.messages_per_s} messages/s write → last push, ${result.send_phase_messages_per_s} messages/s first → last push`,
        "",
      ].join("\n"),
    );
    const json = JSON.stringify({ [key]: result });
    writeFileSync(RESULTS, `${JSON.stringify({ [key]: result }, null, 2)}\n`);
    process.stdout.write(`${json}\n`);
  } finally {
    await close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  });
}
