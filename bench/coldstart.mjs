// Cold start: how long a fresh Node process takes to load the compiled functions entry (what the Functions
// runtime does before the first request), against loading firebase-functions alone. Each sample is its own
// `node` process; the two kinds alternate so that disk cache and CPU load treat them alike.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { median, progress, round } from "./bench-support.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ENTRY = path.join(ROOT, "functions/lib/index.js");

/** Milliseconds `require(target)` takes in a fresh process. */
function loadMs(target) {
  const script = `const t = performance.now(); require(${JSON.stringify(target)}); process.stdout.write(String(performance.now() - t));`;
  const output = execFileSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" });
  return Number(output);
}

export async function measureColdStart({ samples }) {
  progress(`cold start: ${samples} fresh processes each, functions/lib/index.js vs firebase-functions`);
  loadMs(ENTRY); // warms the OS file cache, so the first sample is not the only one reading from disk
  const entry = [];
  const sdk = [];
  for (let i = 0; i < samples; i += 1) {
    entry.push(loadMs(ENTRY));
    sdk.push(loadMs("firebase-functions"));
  }
  const entryMs = median(entry);
  const sdkMs = median(sdk);
  return {
    samples,
    functions_entry_median_ms: round(entryMs, 1),
    firebase_functions_median_ms: round(sdkMs, 1),
    coldstart_ratio: round(entryMs / sdkMs, 2),
  };
}
