// `npm run bench`: every figure of docs/performance.md, in three emulator sessions of one run (the
// Firestore emulator holds on to what it is sent, and one session with 100,000 recipients and a
// 200,000-device prune fills its default heap), then compared and printed as one table, and written to
// bench-results.json by `bench/run.mjs --report`. The emulators run as project demo-push-bench
// (functions/.env.demo-push-bench). --quick shrinks every figure, for checking the bench itself.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const quick = process.argv.includes("--quick") ? " --quick" : "";
const SESSIONS = [
  [
    "main",
    "coldstart,ceiling_0ms,ceiling_http1,ceiling_20ms,baseline_0ms,baseline_20ms,e2e,fanout_small,fanout,quiet,unread,tasks,flood",
  ],
  ["memory", "fanout_memory,digest_memory"],
  ["prune", "prune"],
];

const scratch = mkdtempSync(path.join(os.tmpdir(), "push-bench-"));
const files = [];
let failed = false;
try {
  for (const [name, parts] of SESSIONS) {
    const file = path.join(scratch, `${name}.json`);
    const session = spawnSync(
      process.execPath,
      [
        path.join(ROOT, "emulators/run.mjs"),
        "exec",
        `node bench/run.mjs --only ${parts} --part ${file}${quick}`,
      ],
      { cwd: ROOT, stdio: "inherit", env: { ...process.env, PUSH_EMULATOR_PROJECT: "demo-push-bench" } },
    );
    // A part that failed is reported as such in the table; a session that wrote nothing is not.
    if (session.status !== 0) failed = true;
    files.push(file);
  }
  const report = spawnSync(
    process.execPath,
    [path.join(ROOT, "bench/run.mjs"), "--report", ...files.filter((file) => existsSync(file))],
    { cwd: ROOT, stdio: "inherit" },
  );
  process.exitCode = failed || report.status !== 0 ? 1 : 0;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
