// `npm run bench`: every figure of the README's Performance section, measured side by side in one run on
// this machine, printed as a table and written to bench-results.json at the repo root.
//
//   npm run bench                     (builds, starts the emulators through the harness, runs this)
//   node emulators/run.mjs exec "node bench/run.mjs [--quick]"
//
// --quick shrinks every figure (for checking the bench itself, not for numbers). Progress goes to stderr.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { adminFirestore, progress, round, setFcmLatency } from "./bench-support.mjs";
import { measureColdStart } from "./coldstart.mjs";
import { measurePrune } from "./pruning.mjs";
import { measureBaseline, measureCeiling } from "./sending.mjs";
import { cleanUpPostWorld, measureEndToEnd, measureFanOut, seedPostWorld } from "./trigger.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RESULTS = path.join(ROOT, "bench-results.json");
const quick = process.argv.includes("--quick");

const SIZES = quick
  ? {
      coldStartSamples: 3,
      ceilingMessages: 2_000,
      baselineSample: { 0: 200, 20: 50 },
      fanOut: { subscribers: 200, devicesEach: 5, runs: 1 },
      endToEnd: { comments: 5, warmUp: 2 },
      prune: { total: 4_000, stale: 2_000, loopSample: 2_000, memorySizes: [1_000, 10_000], rate: 10_000 },
    }
  : {
      coldStartSamples: 12,
      ceilingMessages: 10_000,
      baselineSample: { 0: 2_000, 20: 500 },
      fanOut: { subscribers: 2_000, devicesEach: 5, runs: 3 },
      endToEnd: { comments: 50, warmUp: 3 },
      prune: {
        total: 100_000,
        stale: 50_000,
        loopSample: 50_000,
        memorySizes: [20_000, 200_000],
        rate: 10_000,
      },
    };

const TARGETS = {
  fanout_vs_baseline: { at_least: 20 },
  fanout_vs_ceiling: { at_least: 0.5 },
  prune_memory_ratio: { at_most: 1.3 },
  coldstart_ratio: { at_most: 1.5 },
};

function machine() {
  const probe = spawnSync("java", ["-version"], { encoding: "utf8" });
  const java = /version "([^"]+)"/.exec(`${probe.stdout ?? ""}${probe.stderr ?? ""}`)?.[1] ?? "unknown";
  const snapshot = "/usr/lib/google-cloud-sdk/.install/cloud-firestore-emulator.snapshot.json";
  let firestore = "firebase-tools' own Firestore emulator";
  if (existsSync(snapshot) && process.env.FIRESTORE_EMULATOR_BINARY_PATH !== undefined) {
    const component = JSON.parse(readFileSync(snapshot, "utf8")).components?.find(
      (c) => c.id === "cloud-firestore-emulator",
    );
    firestore = `gcloud Firestore emulator ${component?.version?.version_string ?? "?"}`;
  }
  return {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? "unknown",
    memory_gib: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    java: `Java ${java}`,
    firestore_emulator: firestore,
  };
}

function verdict(name, value) {
  const target = TARGETS[name];
  if ("at_least" in target) return { target: `≥ ${target.at_least}`, met: value >= target.at_least };
  return { target: `≤ ${target.at_most}`, met: value <= target.at_most };
}

function table(results) {
  const { fanout, ceiling, baseline, prune, coldstart, end_to_end: e2e } = results;
  const rows = [
    [
      "fan-out 10k devices, FCM 0 ms",
      `${fanout.at_0ms.messages_per_s} msg/s`,
      `write → last push ${fanout.at_0ms.seconds_to_last_push} s`,
    ],
    [
      "fan-out 10k devices, FCM 20 ms",
      `${fanout.at_20ms.messages_per_s} msg/s`,
      `write → last push ${fanout.at_20ms.seconds_to_last_push} s`,
    ],
    [
      "ceiling: sendEach ×500, FCM 0 ms",
      `${ceiling.at_0ms.messages_per_s} msg/s`,
      `no Firestore, ${ceiling.at_0ms.batches_in_flight} batch(es) in flight`,
    ],
    [
      "ceiling: sendEach ×500, FCM 20 ms",
      `${ceiling.at_20ms.messages_per_s} msg/s`,
      `no Firestore, ${ceiling.at_20ms.batches_in_flight} batch(es) in flight`,
    ],
    [
      "baseline: send() in turn, FCM 20 ms",
      `${baseline.at_20ms.messages_per_s} msg/s`,
      `sample of ${baseline.at_20ms.sample} sends`,
    ],
    [
      "baseline: send() in turn, FCM 0 ms",
      `${baseline.at_0ms.messages_per_s} msg/s`,
      `sample of ${baseline.at_0ms.sample} sends`,
    ],
    ["fanout_vs_baseline (20 ms)", `${results.fanout_vs_baseline}×`, ""],
    ["fanout_vs_ceiling (0 ms)", `${results.fanout_vs_ceiling}`, ""],
    [
      "prune, 50k stale of 100k",
      `${prune.prune_deletes_per_s} deletes/s`,
      `${prune.prune_seconds} s, PRUNE_MAX_WRITES_PER_SECOND=${prune.max_writes_per_second_param}`,
    ],
    [
      "delete() loop, same run",
      `${prune.loop_deletes_per_s} deletes/s`,
      `${prune.loop_sample} deleted in ${prune.loop_seconds} s`,
    ],
    ["prune_vs_loop", `${prune.prune_vs_loop}×`, ""],
    ...Object.entries(prune.memory).map(([size, m]) => [
      `prune peak memory, ${size} stale`,
      `${m.peak_rss_mib} MiB RSS`,
      `heap ${m.peak_heap_mib} MiB, ${m.seconds} s`,
    ]),
    ["prune_memory_ratio", `${prune.prune_memory_ratio}`, `peak RSS; heap ratio ${prune.prune_heap_ratio}`],
    [
      "cold start: functions entry",
      `${coldstart.functions_entry_median_ms} ms`,
      `median of ${coldstart.samples} processes`,
    ],
    [
      "cold start: firebase-functions",
      `${coldstart.firebase_functions_median_ms} ms`,
      `median of ${coldstart.samples} processes`,
    ],
    ["coldstart_ratio", `${coldstart.coldstart_ratio}`, ""],
    [
      "end-to-end write → first push",
      `p50 ${e2e.first_push_median_ms} ms, p95 ${e2e.first_push_p95_ms} ms`,
      `${e2e.comments} comments × ${e2e.devices_each} devices, warm`,
    ],
    ["end-to-end write → last push", `p50 ${e2e.last_push_median_ms} ms, p95 ${e2e.last_push_p95_ms} ms`, ""],
  ];
  const targetOf = (label) => {
    const name = label.split(" ")[0];
    const v = results.targets[name];
    return v ? `${v.target} ${v.met ? "met" : "MISSED"}` : "";
  };
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map(
    (r) => `${r[0].padEnd(widths[0])}  ${r[1].padStart(widths[1])}  ${targetOf(r[0]).padEnd(16)}  ${r[2]}`,
  );
  return lines.join("\n");
}

async function main() {
  if (!process.env.FIRESTORE_EMULATOR_HOST || !process.env.FCM_EMULATOR_HOST) {
    throw new Error(
      'run inside the emulators: npm run bench (or node emulators/run.mjs exec "node bench/run.mjs")',
    );
  }
  const started = performance.now();
  const results = { date: new Date().toISOString(), quick, machine: machine() };
  progress(
    `machine: ${JSON.stringify(results.machine)}${quick ? " (--quick: sizes shrunk, figures not comparable)" : ""}`,
  );

  results.coldstart = await measureColdStart({ samples: SIZES.coldStartSamples });

  results.ceiling = {
    at_0ms: await measureCeiling({ messages: SIZES.ceilingMessages, latencyMs: 0 }),
    at_20ms: await measureCeiling({ messages: SIZES.ceilingMessages, latencyMs: 20 }),
  };
  results.baseline = {
    at_0ms: await measureBaseline({ sample: SIZES.baselineSample[0], latencyMs: 0 }),
    at_20ms: await measureBaseline({ sample: SIZES.baselineSample[20], latencyMs: 20 }),
  };
  await setFcmLatency(0);

  const { db, close } = adminFirestore("bench");
  try {
    // End-to-end first: its warm-up comments also warm the trigger's worker for the fan-out.
    const small = await seedPostWorld(db, { label: "e2e", subscribers: 2, devicesEach: 5 });
    try {
      results.end_to_end = await measureEndToEnd(db, small, SIZES.endToEnd);
    } finally {
      await cleanUpPostWorld(db, small);
    }

    const { subscribers, devicesEach, runs } = SIZES.fanOut;
    const large = await seedPostWorld(db, { label: "fanout", subscribers, devicesEach });
    try {
      results.fanout = {
        at_0ms: await measureFanOut(db, large, { latencyMs: 0, runs }),
        at_20ms: await measureFanOut(db, large, { latencyMs: 20, runs }),
      };
    } finally {
      await cleanUpPostWorld(db, large);
    }

    progress("prune: this part takes a few minutes");
    results.prune = await measurePrune(db, SIZES.prune);
  } finally {
    await setFcmLatency(0).catch(() => undefined);
    await close();
  }

  results.fanout_vs_baseline = round(
    results.fanout.at_20ms.messages_per_s / results.baseline.at_20ms.messages_per_s,
    1,
  );
  results.fanout_vs_ceiling = round(
    results.fanout.at_0ms.messages_per_s / results.ceiling.at_0ms.messages_per_s,
    2,
  );
  results.prune_memory_ratio = results.prune.prune_memory_ratio;
  results.coldstart_ratio = results.coldstart.coldstart_ratio;
  results.targets = Object.fromEntries(
    Object.keys(TARGETS).map((name) => [name, { value: results[name], ...verdict(name, results[name]) }]),
  );
  results.seconds = round((performance.now() - started) / 1000, 1);

  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log(
    `\nBenchmarks, ${results.date} — ${results.machine.cpus} cores, ${results.machine.memory_gib} GiB, Node ${results.machine.node}, ` +
      `${results.machine.java}, ${results.machine.firestore_emulator}${quick ? " (--quick)" : ""}\n`,
  );
  console.log(table(results));
  console.log(
    `\nBaselines are measured on a sample (one send() at a time to 10,000 devices at 20 ms would take over 200 s); ` +
      `their rate is per message and compares as is.\nWritten to ${path.relative(process.cwd(), RESULTS) || RESULTS}; the whole run took ${results.seconds} s.`,
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
