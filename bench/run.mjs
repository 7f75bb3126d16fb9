// `npm run bench`: every figure of the README's Performance section, measured side by side in one run on
// this machine, printed as a table and written to bench-results.json at the repo root.
//
//   npm run bench                     (builds, starts the emulators through the harness, runs this)
//   node emulators/run.mjs exec "node bench/run.mjs [--quick]"
//
// --quick shrinks every figure (for checking the bench itself, not for numbers); --only runs some parts.
// Progress goes to stderr.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { adminFirestore, progress, resetBenchDatabase, round, setFcmLatency } from "./bench-support.mjs";
import { measureColdStart } from "./coldstart.mjs";
import { measureFlood } from "./flood.mjs";
import { measurePrune } from "./pruning.mjs";
import { measureMemory } from "./fanout.mjs";
import { measureBaseline, measureCeiling } from "./sending.mjs";
import { measureTasks } from "./tasks.bench.mjs";
import { measureUnreadExact } from "./unread.mjs";
import {
  cleanUpPostWorld,
  measureEndToEnd,
  measureFanOut,
  measureQuietFanOut,
  seedPostWorld,
} from "./trigger.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RESULTS = path.join(ROOT, "bench-results.json");
const quick = process.argv.includes("--quick");
// --only coldstart,ceiling_0ms,…: run only these parts (for working on one; a full run is the figures).
const PARTS = [
  "coldstart",
  "ceiling_0ms",
  "ceiling_http1",
  "ceiling_20ms",
  "baseline_0ms",
  "baseline_20ms",
  "e2e",
  "fanout_small",
  "fanout",
  "quiet",
  "unread",
  "tasks",
  "fanout_memory",
  "digest_memory",
  "flood",
  "prune",
];
const onlyAt = process.argv.indexOf("--only");
const only = onlyAt === -1 ? undefined : (process.argv[onlyAt + 1] ?? "").split(",");

const SIZES = quick
  ? {
      coldStartSamples: 3,
      ceilingMessages: 2_000,
      baselineSample: { 0: 200, 20: 50 },
      fanOut: { subscribers: 100, devicesEach: 10, runs: 1 },
      quietRuns: 1,
      fanOutSmall: { subscribers: 40, devicesEach: 5, runs: 1 },
      tasks: { devices: 16_000, runs: 1 },
      memory: [1_000, 10_000],
      fanOutTimeoutMs: 120_000,
      endToEnd: { comments: 5, warmUp: 2 },
      prune: { total: 4_000, stale: 2_000, loopSample: 2_000, memorySizes: [1_000, 10_000], rate: 10_000 },
    }
  : {
      coldStartSamples: 12,
      ceilingMessages: 10_000,
      baselineSample: { 0: 2_000, 20: 500 },
      // 10,000 devices, at most 10,010 (the author's and 10 a follower): under the bench's PUSH_TASKS_THRESHOLD
      // (15,000, functions/.env.demo-push-bench), so the trigger sends them itself.
      // Three runs each, the median run reported (one run was at the mercy of one hiccup, while the ceiling
      // it is divided by is the best of its measurements).
      fanOut: { subscribers: 1_000, devicesEach: 10, runs: 3 },
      // The 10k fan-out with every recipient's preferences stored: this many runs without and with quiet hours.
      quietRuns: 3,
      // At PUSH_TASKS_THRESHOLD's default (2,000 devices), the largest audience the trigger sends itself.
      fanOutSmall: { subscribers: 400, devicesEach: 5, runs: 3 },
      // 20,000 devices, over the threshold: through sendPushSlice tasks. Three runs, the median reported, as
      // the fan-outs are.
      tasks: { devices: 20_000, runs: 3 },
      // The trigger's and the digest's peak heap as the audience grows tenfold (a device each).
      memory: [10_000, 100_000],
      // A run that takes longer than this is reported as not finished.
      fanOutTimeoutMs: 420_000,
      endToEnd: { comments: 50, warmUp: 3 },
      prune: {
        total: 40_000,
        stale: 20_000,
        loopSample: 5_000,
        // Tenfold, as the prune_memory_ratio compares: 200,000 took ~10 min here (the emulator scans the
        // collection for every page), past the 15 minutes the whole bench has.
        memorySizes: [10_000, 100_000],
        rate: 10_000,
      },
    };

const TARGETS = {
  fanout_vs_baseline: { at_least: 20 },
  fanout_vs_ceiling: { at_least: 0.5 },
  tasks_vs_ceiling: { at_least: 0.25 },
  fanout_memory_ratio: { at_most: 1.3 },
  digest_memory_ratio: { at_most: 1.3 },
  reads_per_recipient: { at_most: 2.0 },
  reads_per_recipient_first_comment: { at_most: 3.0 },
  reads_per_recipient_muted: { at_most: 2.3 },
  digest_reads_per_recipient: { at_most: 2.3 },
  quiet_fanout_ratio: { at_least: 0.9 },
  writes_per_recipient: { at_most: 2.0 },
  feed_fanout_ratio: { at_least: 0.7 },
  unread_exact: { is: true },
  prune_memory_ratio: { at_most: 1.3 },
  coldstart_ratio: { at_most: 1.5 },
};

function machine() {
  // `--version`, not `-version`: the harness's java-version-shim answers only the latter (with 21).
  const probe = spawnSync("java", ["--version"], { encoding: "utf8" });
  const java = /^\S+ (\S+)/.exec(probe.stdout ?? "")?.[1] ?? "unknown";
  const snapshot = "/usr/lib/google-cloud-sdk/.install/cloud-firestore-emulator.snapshot.json";
  let firestore = "firebase-tools' own Firestore emulator";
  // The harness runs the gcloud emulator below Java 21 (emulators/javaBridge.mjs), and when told to.
  const javaMajor = Number(/^(\d+)/.exec(java)?.[1] ?? 0);
  if (existsSync(snapshot) && (process.env.FIRESTORE_EMULATOR_BINARY_PATH !== undefined || javaMajor < 21)) {
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
  if ("is" in target) {
    return { target: `= ${target.is}`, met: typeof value === "boolean" ? value === target.is : null };
  }
  const text = "at_least" in target ? `≥ ${target.at_least}` : `≤ ${target.at_most}`;
  if (typeof value !== "number") return { target: text, met: null };
  return { target: text, met: "at_least" in target ? value >= target.at_least : value <= target.at_most };
}

/** `a / b` rounded, or null when either was not measured. */
/** A run's CPU per message (cpu.mjs), in words. */
function cpuText(cpu) {
  if (!cpu) return "n/a";
  const parts = [
    ["Firestore emulator", cpu.firestore_emulator],
    ["functions", cpu.functions],
    ["FCM emulator", cpu.fcm_emulator],
    ["this process", cpu.bench],
    ["firebase-tools", cpu.firebase_tools],
  ].filter(([, us]) => us > 0);
  return `${cpu.total} (${parts.map(([name, us]) => `${name} ${us}`).join(", ")})`;
}

function ratio(a, b, digits) {
  return typeof a === "number" && typeof b === "number" ? round(a / b, digits) : null;
}

function table(results) {
  const {
    fanout = {},
    fanout_small: small = {},
    ceiling,
    baseline,
    prune,
    coldstart,
    end_to_end: e2e,
  } = results;
  const na = (value, unit = "") => (value === undefined || value === null ? "n/a" : `${value}${unit}`);
  const fanOutRow = (run, label) =>
    run?.error
      ? [label, "n/a", `not measured: ${run.error}`]
      : [
          label,
          na(run?.messages_per_s, " msg/s"),
          `${run?.path ?? "?"}; write → last push ${na(run?.seconds_to_last_push, " s")}, first push after ` +
            `${na(run?.seconds_to_first_push, " s")}, ${na(run?.send_phase_messages_per_s, " msg/s")} from first to last`,
        ];
  const rows = [
    fanOutRow(
      fanout.at_0ms,
      `fan-out ${SIZES.fanOut.subscribers * SIZES.fanOut.devicesEach} devices, FCM 0 ms`,
    ),
    fanOutRow(
      fanout.at_20ms,
      `fan-out ${SIZES.fanOut.subscribers * SIZES.fanOut.devicesEach} devices, FCM 20 ms`,
    ),
    fanOutRow(
      small.at_0ms,
      `fan-out ${SIZES.fanOutSmall.subscribers * SIZES.fanOutSmall.devicesEach} devices, FCM 0 ms`,
    ),
    fanOutRow(
      small.at_20ms,
      `fan-out ${SIZES.fanOutSmall.subscribers * SIZES.fanOutSmall.devicesEach} devices, FCM 20 ms`,
    ),
    [
      "ceiling: sendEach ×500, FCM 0 ms",
      na(ceiling?.best_0ms_messages_per_s, " msg/s"),
      `no Firestore, best of 1 or 2 batches in flight; first ${na(ceiling?.at_0ms?.messages_per_s)}, ` +
        `again beside the fan-outs ${na(ceiling?.at_0ms_again?.messages_per_s)} msg/s (the ratios use the higher)`,
    ],
    [
      "ceiling over HTTP/1.1 (legacy), FCM 0 ms",
      na(ceiling?.http1_at_0ms?.messages_per_s, " msg/s"),
      `the same sendEach batches over the legacy transport; ceiling_h2_vs_http1 ${na(results.ceiling_h2_vs_http1)}`,
    ],
    [
      "ceiling: sendEach ×500, FCM 20 ms",
      na(ceiling?.at_20ms?.messages_per_s, " msg/s"),
      `no Firestore, best of 1 or 2 batches in flight (${na(ceiling?.at_20ms?.batches_in_flight)})`,
    ],
    [
      "baseline: send() in turn, FCM 20 ms",
      na(baseline?.at_20ms?.messages_per_s, " msg/s"),
      `sample of ${na(baseline?.at_20ms?.sample)} sends`,
    ],
    [
      "baseline: send() in turn, FCM 0 ms",
      na(baseline?.at_0ms?.messages_per_s, " msg/s"),
      `sample of ${na(baseline?.at_0ms?.sample)} sends`,
    ],
    [
      "fanout_vs_baseline (20 ms)",
      na(results.fanout_vs_baseline, "×"),
      "write → last push, 10k devices, median of 3 runs",
    ],
    [
      "fanout_vs_ceiling (0 ms)",
      na(results.fanout_vs_ceiling),
      "write → last push, 10k devices, median of 3 runs after one not timed",
    ],
    [
      "send phase vs baseline (20 ms)",
      na(results.send_phase_vs_baseline, "×"),
      "first → last push, 10k (not a target)",
    ],
    [
      "send phase vs ceiling (0 ms)",
      na(results.send_phase_vs_ceiling),
      "first → last push, 10k (not a target)",
    ],
    [
      "CPU per message, ceiling ÷ fan-out (0 ms)",
      na(results.cpu_per_message?.ceiling_vs_fanout),
      `all processes, µs a message: fan-out ${cpuText(results.cpu_per_message?.fanout)}; ` +
        `ceiling ${cpuText(results.cpu_per_message?.ceiling)} (not a target)`,
    ],
    [
      `tasks: ${SIZES.tasks.devices} devices, FCM 0 ms`,
      na(results.tasks?.messages_per_s, " msg/s"),
      results.tasks?.error
        ? `not measured: ${results.tasks.error}`
        : `${na(results.tasks?.slices)} slices, median of ${na(results.tasks?.runs)} runs; write → last push ${na(results.tasks?.seconds_to_last_push, " s")}, first push after ${na(results.tasks?.seconds_to_first_push, " s")}`,
    ],
    ["tasks_vs_ceiling (0 ms)", na(results.tasks_vs_ceiling), "write → last push, through tasks"],
    ...Object.entries(results.fanout_memory?.memory ?? {}).map(([size, m]) => [
      `fan-out peak heap, ${size} recipients`,
      `${m.peak_live_heap_mib} MiB live`,
      `after a full GC every 250 ms; sampled peak (garbage included) ${m.peak_heap_mib} MiB; ${m.seconds} s, in a process of its own`,
    ]),
    [
      "fanout_memory_ratio",
      na(results.fanout_memory_ratio),
      `peak live heap, 10× the recipients; sampled peaks ${na(results.fanout_memory?.fanout_sampled_heap_ratio)}`,
    ],
    ...Object.entries(results.digest_memory?.memory ?? {}).map(([size, m]) => [
      `digest peak heap, ${size} recipients`,
      `${m.peak_live_heap_mib} MiB live`,
      `a closed window's digest (5 comments), measured as the fan-out's; sampled peak ${m.peak_heap_mib} MiB; ${m.seconds} s`,
    ]),
    [
      "digest_memory_ratio",
      na(results.digest_memory_ratio),
      results.digest_memory?.error
        ? `not measured: ${results.digest_memory.error}`
        : `peak live heap, 10× the recipients; sampled peaks ${na(results.digest_memory?.digest_sampled_heap_ratio)}` +
          (results.digest_memory?.digest_vs_fanout_live_heap === undefined
            ? ""
            : `; at the larger, ${results.digest_memory.digest_vs_fanout_live_heap}× the fan-out's`),
    ],
    [
      "reads_per_recipient",
      na(results.reads_per_recipient),
      `${na(results.fanout_memory?.reads?.reads)} documents read for ${na(results.fanout_memory?.reads?.recipients)} recipients, ` +
        "a comment after the post's first",
    ],
    [
      "reads_per_recipient_first_comment",
      na(results.reads_per_recipient_first_comment),
      `${na(results.fanout_memory?.reads?.first_comment_reads)} documents: the post's first comment reads every subscriber doc and folds them`,
    ],
    [
      "reads_per_recipient_muted",
      na(results.reads_per_recipient_muted),
      `${na(results.fanout_memory?.reads?.muted_reads)} documents for ${na(results.fanout_memory?.reads?.muted_recipients)} recipients, 20% of the subscribers muted`,
    ],
    [
      "digest_reads_per_recipient",
      na(results.digest_reads_per_recipient),
      results.digest_memory?.reads
        ? `${results.digest_memory.reads.reads} documents for ${results.digest_memory.reads.recipients} recipients, a closed window's digest`
        : "not measured",
    ],
    [
      "quiet fan-out, every recipient in quiet hours",
      na(results.quiet?.quiet?.messages_per_s, " msg/s"),
      results.quiet?.error
        ? `not measured: ${results.quiet.error}`
        : `${na(results.quiet?.quiet_messages)} of ${na(results.quiet?.quiet?.messages)} silent; the same fan-out with preferences and no quiet hours ${na(results.quiet?.loud?.messages_per_s, " msg/s")}`,
    ],
    ["quiet_fanout_ratio", na(results.quiet_fanout_ratio), "write → last push, same devices, same run"],
    [
      "unread_exact",
      na(results.unread_exact),
      results.unread?.error
        ? `not measured: ${results.unread.error}`
        : `${na(results.unread?.recipients)} recipients, ${na(results.unread?.items)} items from ${na(results.unread?.deliveries)} deliveries at once (one crashed and retried); mismatches ${na(results.unread?.mismatches?.length)}`,
    ],
    [
      "writes_per_recipient",
      na(results.writes_per_recipient),
      `${na(results.fanout_memory?.reads?.writes)} documents written for ${na(results.fanout_memory?.reads?.recipients)} recipients (feed items and counts included)`,
    ],
    [
      "feed_fanout_ratio",
      na(results.feed_fanout_ratio),
      `the 10k fan-out with the feed ${na(results.fanout_memory?.feed?.with_feed_messages_per_s, " msg/s")}, without ${na(results.fanout_memory?.feed?.without_feed_messages_per_s, " msg/s")} (one process, warm, median of 3 each, in turn)`,
    ],
    [
      `prune, ${SIZES.prune.stale} stale of ${SIZES.prune.total}`,
      na(prune?.prune_deletes_per_s, " deletes/s"),
      `${na(prune?.prune_seconds, " s")}, PRUNE_MAX_WRITES_PER_SECOND=${na(prune?.max_writes_per_second_param)}`,
    ],
    [
      "delete() loop, same run",
      na(prune?.loop_deletes_per_s, " deletes/s"),
      `${na(prune?.loop_sample)} deleted in ${na(prune?.loop_seconds, " s")}`,
    ],
    ["prune_vs_loop", na(prune?.prune_vs_loop, "×"), ""],
    ...Object.entries(prune?.memory ?? {}).map(([size, m]) => [
      `prune peak memory, ${size} stale`,
      `${m.peak_rss_mib} MiB RSS`,
      `heap ${m.peak_heap_mib} MiB (live after a full GC ${m.peak_live_heap_mib} MiB), ${m.seconds} s`,
    ]),
    [
      "prune_memory_ratio",
      na(results.prune_memory_ratio),
      `peak RSS; sampled heap ${na(prune?.prune_heap_ratio)}, live heap ${na(prune?.prune_live_heap_ratio)}`,
    ],
    [
      "cold start: functions entry",
      na(coldstart?.functions_entry_median_ms, " ms"),
      `median of ${na(coldstart?.samples)} processes`,
    ],
    [
      "cold start: firebase-functions",
      na(coldstart?.firebase_functions_median_ms, " ms"),
      `median of ${na(coldstart?.samples)} processes`,
    ],
    ["coldstart_ratio", na(results.coldstart_ratio), ""],
    [
      "flood: comments on one post",
      na(results.flood?.fan_outs, " fan-outs"),
      `${na(results.flood?.comments)} comments, ${na(results.flood?.windows)} windows, ${na(results.flood?.pushes)} pushes, ~${na(results.flood?.reads)} reads`,
    ],
    [
      "end-to-end write → first push",
      e2e?.comments ? `p50 ${e2e.first_push_median_ms} ms, p95 ${e2e.first_push_p95_ms} ms` : "n/a",
      e2e?.comments ? `${e2e.comments} comments × ${e2e.devices_each} devices, warm` : "",
    ],
    [
      "end-to-end write → last push",
      e2e?.comments ? `p50 ${e2e.last_push_median_ms} ms, p95 ${e2e.last_push_p95_ms} ms` : "n/a",
      "",
    ],
  ];
  const targetOf = (label) => {
    const v = results.targets[label.split(" ")[0]];
    if (!v) return "";
    return `${v.target} ${v.met === null ? "not measured" : v.met ? "met" : "MISSED"}`;
  };
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map(
    (r) => `${r[0].padEnd(widths[0])}  ${r[1].padStart(widths[1])}  ${targetOf(r[0]).padEnd(21)}  ${r[2]}`,
  );
  return lines.join("\n");
}

/** Measures the parts asked for (every part without --only); the figures, not yet compared. */
async function measure() {
  if (!process.env.FIRESTORE_EMULATOR_HOST || !process.env.FCM_EMULATOR_HOST) {
    throw new Error(
      'run inside the emulators: npm run bench (or node emulators/run.mjs exec "node bench/run.mjs")',
    );
  }
  // Keeps the process alive while it only waits on the emulators (their clients' timers do not).
  const keepAlive = setInterval(() => undefined, 60_000);
  const started = performance.now();
  const results = { date: new Date().toISOString(), quick, machine: machine(), errors: {} };
  progress(
    `machine: ${JSON.stringify(results.machine)}${quick ? " (--quick: sizes shrunk, figures not comparable)" : ""}`,
  );
  /** Runs one part; a part that fails is reported as such and the others still run. */
  const attempt = async (name, part) => {
    if (only && PARTS.includes(name) && !only.includes(name)) return undefined;
    try {
      return await part();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      results.errors[name] = message;
      progress(`${name} FAILED: ${message}`);
      return { error: message };
    }
  };

  results.coldstart = await attempt("coldstart", () => measureColdStart({ samples: SIZES.coldStartSamples }));
  results.ceiling = {
    at_0ms: await attempt("ceiling_0ms", () =>
      measureCeiling({ messages: SIZES.ceilingMessages, latencyMs: 0 }),
    ),
    // The legacy HTTP/1.1 transport's ceiling, beside HTTP/2's (every other figure is over HTTP/2).
    http1_at_0ms: await attempt("ceiling_http1", () =>
      measureCeiling({ messages: SIZES.ceilingMessages, latencyMs: 0, transport: "http/1.1" }),
    ),
    at_20ms: await attempt("ceiling_20ms", () =>
      measureCeiling({ messages: SIZES.ceilingMessages, latencyMs: 20 }),
    ),
  };
  results.baseline = {
    at_0ms: await attempt("baseline_0ms", () =>
      measureBaseline({ sample: SIZES.baselineSample[0], latencyMs: 0 }),
    ),
    at_20ms: await attempt("baseline_20ms", () =>
      measureBaseline({ sample: SIZES.baselineSample[20], latencyMs: 20 }),
    ),
  };
  await setFcmLatency(0);

  const { db, close } = adminFirestore("bench");
  /** Seeds a post world, runs `part` on it, and removes the world whatever happened. */
  const withWorld = async (name, shape, part) =>
    attempt(name, async () => {
      const world = await seedPostWorld(db, { label: name.replace(/_/g, "-"), ...shape });
      try {
        return await part(world);
      } finally {
        await cleanUpPostWorld(db, world);
      }
    });
  const fanOutPair = async (world, runs) => {
    // One comment first, not timed: the 20 ms runs follow warm ones, as the ceiling's follow its warm-up.
    const at0 = await attempt("fanout_0ms", () =>
      measureFanOut(db, world, { latencyMs: 0, runs, warmUp: 1, timeoutMs: SIZES.fanOutTimeoutMs }),
    );
    // The same path again at 20 ms would fail the same way and cost as long again.
    const at20 = at0.error
      ? { error: "skipped: the 0 ms run did not finish" }
      : await attempt("fanout_20ms", () =>
          measureFanOut(db, world, { latencyMs: 20, runs, timeoutMs: SIZES.fanOutTimeoutMs }),
        );
    return { at_0ms: at0, at_20ms: at20 };
  };
  try {
    // End-to-end first: its warm-up comments also warm the trigger's worker for the fan-outs.
    results.end_to_end = await withWorld("e2e", { subscribers: 2, devicesEach: 5 }, (world) =>
      measureEndToEnd(db, world, SIZES.endToEnd),
    );
    const { subscribers, devicesEach, runs } = SIZES.fanOutSmall;
    results.fanout_small = await withWorld("fanout_small", { subscribers, devicesEach }, (world) =>
      fanOutPair(world, runs),
    );
    // The 10k fan-out with every recipient's preferences stored, without and with quiet hours holding now.
    // Before the fan-out of record: the emulators keep getting faster over a session's first 10k fan-outs
    // (the Firestore emulator's JIT above all: in one run, 4,517-5,882 msg/s for the fan-out's runs, then
    // 5,417-6,545 for the same fan-out in this part), and the ceiling it is divided by is measured warm.
    results.quiet = await withWorld(
      "quiet",
      { subscribers: SIZES.fanOut.subscribers, devicesEach: SIZES.fanOut.devicesEach },
      (world) => measureQuietFanOut(db, world, { runs: SIZES.quietRuns, timeoutMs: SIZES.fanOutTimeoutMs }),
    );
    // The fan-out of record, beside the ceiling measured again below.
    results.fanout = await withWorld(
      "fanout",
      { subscribers: SIZES.fanOut.subscribers, devicesEach: SIZES.fanOut.devicesEach },
      (world) => fanOutPair(world, SIZES.fanOut.runs),
    );
    // The ceiling again, beside the fan-outs it is compared with: the machine and the FCM emulator as warm
    // as they were then. The ratios take the higher of the two measurements.
    results.ceiling.at_0ms_again = await attempt("ceiling_0ms", () =>
      measureCeiling({ messages: SIZES.ceilingMessages, latencyMs: 0 }),
    );
    // 20 comments at once to the same 200 recipients, one delivery crashed and retried: every count exact?
    results.unread = await attempt("unread", () =>
      measureUnreadExact(db, quick ? { posts: 5, recipients: 50 } : {}),
    );
    results.tasks = await attempt("tasks", () =>
      measureTasks(db, { devices: SIZES.tasks.devices, latencyMs: 0, runs: SIZES.tasks.runs }),
    );
    // The fan-out's and the digest's memory, on the same seeded audiences (measureMemory says why).
    const wanted = (part) => !only || only.includes(part);
    if (wanted("fanout_memory") || wanted("digest_memory")) {
      const memory = await attempt("memory", () =>
        measureMemory(db, {
          sizes: SIZES.memory,
          fanOut: wanted("fanout_memory"),
          digest: wanted("digest_memory"),
        }),
      );
      for (const part of ["fanout_memory", "digest_memory"]) {
        if (!wanted(part)) continue;
        results[part] = memory.error ? { error: memory.error } : memory[part];
        if (results[part]?.error) results.errors[part] = results[part].error;
      }
      if (memory.error) delete results.errors.memory;
    }

    // A hot thread: 1,000 comments on a post with 2,000 subscribers, folded by coalescing (docs/coalescing.md).
    results.flood = await attempt("flood", () =>
      measureFlood(db, quick ? { comments: 100, subscribers: 200 } : {}),
    );

    if (!only || only.includes("prune")) {
      // The prune's table starts empty, and the emulator without what the parts before it wrote.
      await resetBenchDatabase();
      progress("prune: this part takes a few minutes");
    }
    results.prune = await attempt("prune", () => measurePrune(db, SIZES.prune));
  } finally {
    await setFcmLatency(0).catch(() => undefined);
    await close();
  }

  results.seconds = round((performance.now() - started) / 1000, 1);
  clearInterval(keepAlive);
  return results;
}

/** The ratios and targets of `results` (measured in one run, or merged from the sessions of one run). */
function compare(results) {
  results.ceiling ??= {};
  const { fanout = {}, baseline = {}, ceiling } = results;
  results.fanout_vs_baseline = ratio(fanout.at_20ms?.messages_per_s, baseline.at_20ms?.messages_per_s, 1);
  const ceilings = [ceiling.at_0ms?.messages_per_s, ceiling.at_0ms_again?.messages_per_s].filter(
    (rate) => typeof rate === "number",
  );
  ceiling.best_0ms_messages_per_s = ceilings.length > 0 ? Math.max(...ceilings) : null;
  results.fanout_vs_ceiling = ratio(fanout.at_0ms?.messages_per_s, ceiling.best_0ms_messages_per_s, 2);
  results.ceiling_h2_vs_http1 = ratio(
    ceiling.at_0ms?.messages_per_s,
    ceiling.http1_at_0ms?.messages_per_s,
    2,
  );
  results.send_phase_vs_baseline = ratio(
    fanout.at_20ms?.send_phase_messages_per_s,
    baseline.at_20ms?.messages_per_s,
    1,
  );
  results.send_phase_vs_ceiling = ratio(
    fanout.at_0ms?.send_phase_messages_per_s,
    ceiling.best_0ms_messages_per_s,
    2,
  );
  results.tasks_vs_ceiling = ratio(results.tasks?.messages_per_s, ceiling.best_0ms_messages_per_s, 2);
  // Not a target: how much CPU a message costs the ceiling against the fan-out, all processes together.
  const ceilingCpu = [ceiling.at_0ms, ceiling.at_0ms_again]
    .filter((run) => run?.cpu_us_per_message && run.messages_per_s === ceiling.best_0ms_messages_per_s)
    .map((run) => run.cpu_us_per_message)[0];
  const fanOutCpu = fanout.at_0ms?.cpu_us_per_message;
  results.cpu_per_message = {
    fanout: fanOutCpu ?? null,
    ceiling: ceilingCpu ?? null,
    ceiling_vs_fanout: ratio(ceilingCpu?.total, fanOutCpu?.total, 2),
  };
  results.fanout_memory_ratio = results.fanout_memory?.fanout_memory_ratio ?? null;
  results.digest_memory_ratio = results.digest_memory?.digest_memory_ratio ?? null;
  results.reads_per_recipient = results.fanout_memory?.reads?.reads_per_recipient ?? null;
  results.reads_per_recipient_first_comment =
    results.fanout_memory?.reads?.first_comment_reads_per_recipient ?? null;
  results.reads_per_recipient_muted = results.fanout_memory?.reads?.muted_reads_per_recipient ?? null;
  results.digest_reads_per_recipient = results.digest_memory?.reads?.digest_reads_per_recipient ?? null;
  results.writes_per_recipient = results.fanout_memory?.reads?.writes_per_recipient ?? null;
  results.feed_fanout_ratio = results.fanout_memory?.feed?.feed_fanout_ratio ?? null;
  results.unread_exact =
    typeof results.unread?.unread_exact === "boolean" ? results.unread.unread_exact : null;
  results.quiet_fanout_ratio = ratio(
    results.quiet?.quiet?.messages_per_s,
    results.quiet?.loud?.messages_per_s,
    2,
  );
  results.prune_memory_ratio = results.prune?.prune_memory_ratio ?? null;
  results.coldstart_ratio = results.coldstart?.coldstart_ratio ?? null;
  results.targets = Object.fromEntries(
    Object.keys(TARGETS).map((name) => [name, { value: results[name], ...verdict(name, results[name]) }]),
  );
  return results;
}

function report(results) {
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log(
    `\nBenchmarks, ${results.date} — ${results.machine.cpus} cores, ${results.machine.memory_gib} GiB, Node ${results.machine.node}, ` +
      `${results.machine.java}, ${results.machine.firestore_emulator}${quick ? " (--quick)" : ""}\n`,
  );
  console.log(table(results));
  console.log(
    `\nBaselines are measured on a sample (one send() at a time to 10,000 devices at 20 ms would take over 200 s); ` +
      `their rate is per message and compares as is.`,
  );
  for (const [name, message] of Object.entries(results.errors))
    console.log(`Not measured: ${name}: ${message}`);
  console.log(
    `Written to ${path.relative(process.cwd(), RESULTS) || RESULTS}; the whole run took ${results.seconds} s.`,
  );
  return Object.keys(results.errors).length === 0 ? 0 : 1;
}

/** `b` over `a`, object by object; what `b` leaves undefined (a part it did not run) keeps `a`'s. */
function merged(a, b) {
  const out = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const both = [out[key], value].every((v) => v && typeof v === "object" && !Array.isArray(v));
    if (both) out[key] = merged(out[key], value);
    else if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * `--part FILE`: measure (with --only) and write the figures to FILE, for `--report`. `--report FILE…`:
 * merge the parts of one run (bench/all.mjs runs each in an emulator session of its own), compare, print.
 * Neither: measure everything here, compare, print.
 */
async function main() {
  const reportAt = process.argv.indexOf("--report");
  if (reportAt !== -1) {
    const parts = process.argv.slice(reportAt + 1).map((file) => JSON.parse(readFileSync(file, "utf8")));
    const results = parts.reduce(merged, {});
    results.date = parts[0]?.date;
    results.seconds = round(
      parts.reduce((sum, part) => sum + (part.seconds ?? 0), 0),
      1,
    );
    return report(compare(results));
  }
  const results = await measure();
  const partAt = process.argv.indexOf("--part");
  if (partAt !== -1) {
    writeFileSync(process.argv[partAt + 1], `${JSON.stringify(results, null, 2)}\n`);
    return Object.keys(results.errors).length === 0 ? 0 : 1;
  }
  return report(compare(results));
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
