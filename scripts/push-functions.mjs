// The push functions `npm run deploy:iam` binds (scripts/deploy-iam.sh): every function of the registry of
// push kinds (functions/src/push/kinds/functions.ts, one export a kind) and sendPushSlice, the one slice task
// of every kind, read from their built code in functions/lib. One line each, on stdout:
//
//   <name> task    a task-queue function: Cloud Tasks invokes it, its queue takes the enqueuers' tasks
//   <name> event   an event trigger: Eventarc invokes it as the function's own service account
//
// functions/ is built first (progress on stderr) when functions/lib is missing or older than functions/src,
// so a kind just added to the registry is listed. Run: node scripts/push-functions.mjs
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SRC = path.join(ROOT, "functions/src");
const REGISTRY = path.join(ROOT, "functions/lib/push/kinds/functions.js");
const SLICE = path.join(ROOT, "functions/lib/functions/sendPushSlice.js");

/** The newest modification time of a file under `dir`. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const at = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(at) : statSync(at).mtimeMs);
  }
  return latest;
}

function built() {
  return [REGISTRY, SLICE].every(existsSync) && statSync(REGISTRY).mtimeMs >= newest(SRC);
}

if (!built()) {
  process.stderr.write("push-functions: building functions/ (functions/lib is missing or older)\n");
  const tsc = spawnSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc"), "-p", path.join(ROOT, "functions/tsconfig.build.json")],
    { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] },
  );
  if (tsc.status !== 0 || ![REGISTRY, SLICE].every(existsSync)) {
    process.stderr.write("push-functions: building functions/ failed\n");
    process.exit(1);
  }
}

const functions = {
  ...require(REGISTRY),
  sendPushSlice: require(SLICE).sendPushSlice,
};
const lines = [];
for (const [name, fn] of Object.entries(functions)) {
  const endpoint = fn?.__endpoint ?? {};
  if (endpoint.taskQueueTrigger) lines.push(`${name} task`);
  else if (endpoint.eventTrigger) lines.push(`${name} event`);
  else {
    process.stderr.write(
      `push-functions: ${name} is neither a task-queue function nor an event trigger: ` +
        "scripts/deploy-iam.sh knows no bindings for it\n",
    );
    process.exit(1);
  }
}
process.stdout.write(`${lines.join("\n")}\n`);
