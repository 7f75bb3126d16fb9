// What every part of the emulator harness shares: where the checkout and its scratch directory are, how
// the harness speaks (one `[emulators]` line on stderr), the error it stops with, and how it writes files
// that another run may be reading at the same moment.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** Git-ignored: the launcher jar, the java-version shim, the run lock and the logs live here. */
export const SCRATCH = path.join(ROOT, ".emulators");
/**
 * The project the emulators run as: `demo-push` (docs/api.md), or `PUSH_EMULATOR_PROJECT` for a run that needs
 * params of its own (`npm run bench` runs as `demo-push-bench`, whose `functions/.env.demo-push-bench` the
 * Functions emulator loads over `functions/.env`). Only `demo-` projects: they need no credentials.
 */
export const PROJECT_ID = process.env.PUSH_EMULATOR_PROJECT || "demo-push";
if (!/^demo-[a-z0-9-]{1,24}$/.test(PROJECT_ID)) {
  throw new Error(`PUSH_EMULATOR_PROJECT must be a demo- project id, got ${PROJECT_ID}`);
}

/** A reason to stop that the user can act on: printed as one message, without a stack trace. */
export class HarnessError extends Error {}

export function log(line) {
  process.stderr.write(`[emulators] ${line}\n`);
}

/**
 * Writes `file` by renaming a finished temporary file over it, and only when its content changes: another
 * run starting at the same moment may be executing the old one (a shim being rewritten fails with ETXTBSY).
 */
export function writeAtomically(file, content, mode = 0o644) {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, "utf8");
  if (existsSync(file) && readFileSync(file).equals(bytes)) return;
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes, { mode });
  renameSync(temporary, file);
}
