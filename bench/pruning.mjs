// The token prune at scale, in the Firestore emulator: the real prune (handlePruneDevices, run in a child
// process of its own by bench/prune.bench.mjs --child, so its memory figures are its own) against the
// naive way, a query for the stale devices and one awaited `delete()` per document; then the prune's peak
// memory as the number of stale devices grows tenfold.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchToken, DAY_MS, deleteAll, progress, round, writeInBatches } from "./bench-support.mjs";

const require = createRequire(import.meta.url);
const PRUNE_CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "prune.bench.mjs");
const MINUTE_MS = 60_000;
const STALE_DAYS = 30;

/** Seeds `count` devices last seen `ageDays` ago (give or take a few hours), under ids unique to this call. */
async function seedDevices(db, { count, kind, ageDays }) {
  const { Timestamp } = require("firebase-admin/firestore");
  const run = randomUUID().slice(0, 8);
  const now = Date.now();
  const started = performance.now();
  await writeInBatches(db, count, (batch, i) => {
    const seen = Timestamp.fromMillis(now - ageDays * DAY_MS - (i % 500) * MINUTE_MS);
    batch.set(db.doc(`devices/bench-prune-${kind}-${run}-${String(i).padStart(7, "0")}`), {
      uid: `bench-prune-${kind}-user-${run}-${i % 20_000}`,
      token: benchToken(`bench-prune-${kind}-${run}-${i}`),
      platform: "android",
      locale: "en-US",
      appVersion: "1.0.0",
      createdAt: seen,
      lastSeenAt: seen,
    });
  });
  progress(`seeded ${count} ${kind} devices in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return run;
}

const staleQuery = (db) => {
  const { Timestamp } = require("firebase-admin/firestore");
  return db
    .collection("devices")
    .where("lastSeenAt", "<", Timestamp.fromMillis(Date.now() - STALE_DAYS * DAY_MS));
};

async function countOf(query) {
  return (await query.count().get()).data().count;
}

/** One run of the real prune in a fresh child process; its timing, summary and memory. */
function pruneInChild(rate) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", PRUNE_CHILD, "--child"], {
      env: {
        ...process.env,
        TOKEN_STALE_DAYS: String(STALE_DAYS),
        PRUNE_MAX_WRITES_PER_SECOND: String(rate),
      },
      stdio: ["ignore", "pipe", "inherit", "ipc"],
    });
    let result;
    child.on("message", (message) => (result = message));
    child.stdout.resume(); // the prune's structured logs: not part of the figures
    child.once("error", reject);
    child.once("exit", (code) =>
      result ? resolve(result) : reject(new Error(`prune child exited ${code}`)),
    );
  });
}

async function realPrune(db, { stale, rate, label }) {
  const result = await pruneInChild(rate);
  const left = await countOf(staleQuery(db));
  if (result.summary.deleted.stale !== stale || left !== 0) {
    throw new Error(
      `prune ${label}: deleted ${result.summary.deleted.stale} of ${stale}, ${left} stale left`,
    );
  }
  progress(
    `prune ${label}: ${stale} stale deleted in ${result.seconds.toFixed(1)} s = ` +
      `${Math.round(stale / result.seconds)} deletes/s, peak RSS ${result.maxRssMiB.toFixed(0)} MiB, ` +
      `peak heap ${result.heapPeakMiB.toFixed(0)} MiB`,
  );
  return result;
}

/** The naive prune: read the stale devices (at most `sample`), then delete each, one awaited call at a time. */
async function deleteLoop(db, sample) {
  const started = performance.now();
  const snapshot = await staleQuery(db).limit(sample).get();
  for (const doc of snapshot.docs) await doc.ref.delete();
  const seconds = (performance.now() - started) / 1000;
  progress(
    `delete() loop: ${snapshot.size} stale deleted one by one in ${seconds.toFixed(1)} s = ` +
      `${Math.round(snapshot.size / seconds)} deletes/s`,
  );
  return { deleted: snapshot.size, seconds };
}

export async function measurePrune(db, { total, stale, loopSample, memorySizes, rate }) {
  const fresh = total - stale;
  const freshRun = await seedDevices(db, { count: fresh, kind: "fresh", ageDays: 0 });
  const freshQuery = db
    .collection("devices")
    .where("uid", ">=", `bench-prune-fresh-user-${freshRun}-`)
    .where("uid", "<", `bench-prune-fresh-user-${freshRun}.`);
  try {
    if ((await countOf(staleQuery(db))) !== 0)
      throw new Error("stale devices exist before the bench seeded any");

    await seedDevices(db, { count: stale, kind: "stale", ageDays: STALE_DAYS + 10 });
    const prune = await realPrune(db, { stale, rate, label: `${stale} of ${total}` });

    await seedDevices(db, { count: stale, kind: "stale", ageDays: STALE_DAYS + 10 });
    const loop = await deleteLoop(db, Math.min(loopSample, stale));
    const rest = await deleteAll(db, staleQuery(db));
    if (rest > 0) progress(`deleted the ${rest} stale devices left after the loop's sample (not timed)`);

    const kept = await countOf(freshQuery);
    if (kept !== fresh) throw new Error(`prune: ${fresh - kept} fresh devices were deleted`);

    const memory = {};
    for (const size of memorySizes) {
      await seedDevices(db, { count: size, kind: "stale", ageDays: STALE_DAYS + 10 });
      memory[size] = await realPrune(db, { stale: size, rate, label: `memory at ${size}` });
    }
    const [small, large] = memorySizes;
    const prunePerSecond = stale / prune.seconds;
    const loopPerSecond = loop.deleted / loop.seconds;
    return {
      devices: total,
      stale,
      max_writes_per_second_param: rate,
      prune_seconds: round(prune.seconds, 1),
      prune_deletes_per_s: round(prunePerSecond),
      loop_sample: loop.deleted,
      loop_seconds: round(loop.seconds, 1),
      loop_deletes_per_s: round(loopPerSecond),
      prune_vs_loop: round(prunePerSecond / loopPerSecond, 1),
      memory: Object.fromEntries(
        memorySizes.map((size) => [
          size,
          {
            seconds: round(memory[size].seconds, 1),
            peak_rss_mib: round(memory[size].maxRssMiB, 1),
            peak_heap_mib: round(memory[size].heapPeakMiB, 1),
            peak_live_heap_mib: round(memory[size].liveHeapPeakMiB, 1),
          },
        ]),
      ),
      prune_memory_ratio: round(memory[large].maxRssMiB / memory[small].maxRssMiB, 2),
      prune_heap_ratio: round(memory[large].heapPeakMiB / memory[small].heapPeakMiB, 2),
      // What the prune holds (live after a full collection) as the stale devices grow tenfold.
      prune_live_heap_ratio: round(memory[large].liveHeapPeakMiB / memory[small].liveHeapPeakMiB, 2),
    };
  } finally {
    const removed = await deleteAll(db, freshQuery);
    progress(`cleaned up ${removed} fresh devices`);
  }
}
