// Time and memory of the scheduled prune as the table grows: seeds N stale devices (plus a fixed set of
// fresh ones) into the Firestore emulator, then runs `handlePruneDevices` from functions/lib in a child
// process of its own, so the figures are the prune's alone: wall time, peak RSS (the kernel's high-water
// mark) and peak V8 heap (sampled every 20 ms). Memory must stay flat from 20,000 to 200,000.
//
//   npm run build --workspace functions && \
//     node emulators/run.mjs exec "node bench/prune.bench.mjs [--stale 20000,200000] [--fresh 10000] [--rate 10000]"
//
// --rate sets PRUNE_MAX_WRITES_PER_SECOND for the run (the default param is 500/s; the benchmark uses the
// ceiling so that 200,000 deletes take about a minute instead of seven; the page size is 500 either way).
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const PROJECT = process.env.GCLOUD_PROJECT || "demo-push";
const DAY_MS = 86_400_000;

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1];
}

function firestore(appName) {
  const { initializeApp } = require("firebase-admin/app");
  const { getFirestore } = require("firebase-admin/firestore");
  return getFirestore(initializeApp({ projectId: PROJECT }, appName));
}

/** The child: one prune run, nothing else in the process. */
async function runPrune() {
  const { handlePruneDevices } = require("../functions/lib/functions/pruneDevices.js");
  const { DevicePruneStore } = require("../functions/lib/devices/devicePruneStore.js");
  const store = new DevicePruneStore(firestore("bench-prune"));
  // Time spent waiting for page reads, to tell the queries' share of the run from the deletes'.
  let readMs = 0;
  const stalePage = store.stalePage.bind(store);
  store.stalePage = async (...args) => {
    const started = performance.now();
    try {
      return await stalePage(...args);
    } finally {
      readMs += performance.now() - started;
    }
  };
  let heapPeak = 0;
  let rssPeak = 0;
  const sample = () => {
    const { heapUsed, rss } = process.memoryUsage();
    heapPeak = Math.max(heapPeak, heapUsed);
    rssPeak = Math.max(rssPeak, rss);
  };
  // And the heap that is live, right after a full collection every 250 ms (with --expose-gc, which
  // bench/pruning.mjs passes): what the prune holds, whatever V8's collection schedule.
  let livePeak = 0;
  const sampleLive = () => {
    globalThis.gc?.();
    livePeak = Math.max(livePeak, process.memoryUsage().heapUsed);
  };
  sample();
  const baseline = { ...process.memoryUsage() };
  const timer = setInterval(sample, 20);
  const liveTimer = setInterval(sampleLive, 250);
  const started = performance.now();
  const summary = await handlePruneDevices(
    { scheduleTime: new Date().toISOString(), jobName: "bench" },
    { store },
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  clearInterval(liveTimer);
  sample();
  process.send({
    liveHeapPeakMiB: livePeak / 2 ** 20,
    seconds,
    readSeconds: readMs / 1000,
    summary,
    baselineRssMiB: baseline.rss / 2 ** 20,
    sampledRssPeakMiB: rssPeak / 2 ** 20,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    heapBaselineMiB: baseline.heapUsed / 2 ** 20,
    heapPeakMiB: heapPeak / 2 ** 20,
  });
}

async function seed(db, count, { prefix, lastSeenMillis }) {
  const { Timestamp } = require("firebase-admin/firestore");
  const devices = db.collection("devices");
  const BATCH = 500;
  const PARALLEL = 4;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const start = next;
      next += BATCH;
      const batch = db.batch();
      for (let i = start; i < Math.min(start + BATCH, count); i++) {
        const seen = Timestamp.fromMillis(lastSeenMillis(i));
        batch.set(devices.doc(`${prefix}-${String(i).padStart(7, "0")}`), {
          uid: `${prefix}-user-${i % 5000}`,
          token: `${prefix}-token-${i}-${"x".repeat(140)}`,
          platform: "android",
          locale: "en-US",
          appVersion: "1.0.0",
          createdAt: seen,
          lastSeenAt: seen,
        });
      }
      await batch.commit();
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

function pruneInChild(rate) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--child"], {
      env: { ...process.env, TOKEN_STALE_DAYS: "30", PRUNE_MAX_WRITES_PER_SECOND: String(rate) },
      stdio: ["ignore", "pipe", "inherit", "ipc"],
    });
    let result;
    child.on("message", (message) => (result = message));
    child.stdout.on("data", (chunk) => {
      for (const line of String(chunk).split("\n")) {
        if (line.includes("devices pruned"))
          process.stderr.write(`  [prune] ${/"message":"([^"]*)"/.exec(line)?.[1] ?? line}\n`);
      }
    });
    child.once("exit", (code) =>
      result ? resolve(result) : reject(new Error(`prune child exited ${code}`)),
    );
  });
}

async function main() {
  if (!process.env.FIRESTORE_EMULATOR_HOST) {
    console.error('Run inside the emulators: node emulators/run.mjs exec "node bench/prune.bench.mjs"');
    process.exit(1);
  }
  const sizes = option("stale", "20000,200000").split(",").map(Number);
  const fresh = Number(option("fresh", "10000"));
  const rate = Number(option("rate", "10000"));
  const db = firestore("bench-seed");
  const now = Date.now();
  const rows = [];

  await seed(db, fresh, { prefix: "bench-fresh", lastSeenMillis: (i) => now - (i % 29) * DAY_MS });
  for (const stale of sizes) {
    const seeding = performance.now();
    await seed(db, stale, {
      prefix: `bench-stale-${stale}`,
      lastSeenMillis: (i) => now - 31 * DAY_MS - i * 1000,
    });
    const seedSeconds = (performance.now() - seeding) / 1000;
    process.stderr.write(
      `seeded ${stale} stale devices in ${seedSeconds.toFixed(1)} s; pruning at ≤${rate}/s\n`,
    );
    const result = await pruneInChild(rate);
    const left = (
      await db
        .collection("devices")
        .where("lastSeenAt", "<", new Date(now - 30 * DAY_MS))
        .count()
        .get()
    ).data().count;
    const kept = (
      await db
        .collection("devices")
        .where("uid", ">=", "bench-fresh-")
        .where("uid", "<", "bench-fresh.")
        .count()
        .get()
    ).data().count;
    rows.push({
      stale,
      deleted: result.summary.deleted.stale,
      "stale left": left,
      "fresh kept": kept,
      seconds: result.seconds.toFixed(1),
      "deletes/s": Math.round(result.summary.deleted.stale / result.seconds),
      "page reads s": result.readSeconds.toFixed(1),
      "rss start MiB": result.baselineRssMiB.toFixed(0),
      "rss peak MiB": result.maxRssMiB.toFixed(0),
      "heap start MiB": result.heapBaselineMiB.toFixed(0),
      "heap peak MiB": result.heapPeakMiB.toFixed(0),
    });
  }
  await db
    .collection("devices")
    .where("uid", ">=", "bench-fresh-")
    .where("uid", "<", "bench-fresh.")
    .get()
    .then(async (snapshot) => {
      const writer = db.bulkWriter({ throttling: false });
      for (const doc of snapshot.docs) void writer.delete(doc.ref);
      await writer.close();
    });
  console.log(
    `pruneDevices, PRUNE_MAX_WRITES_PER_SECOND=${rate}, ${fresh} fresh devices beside the stale ones:`,
  );
  console.table(rows);
}

if (process.argv.includes("--child")) {
  runPrune().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
