// Where the emulators' own output goes: firebase-tools' lines, and through them the functions' logs.
// - `exec` (npm test, emulators:exec): to `.emulators/logs/emulators.log` only, so the command's output is
//   not buried under them; the harness names that file when the command fails, and the command finds
//   it in EMULATORS_LOG (test/summary-reporter.js prints it under failed tests).
// - `start` (npm start): live on the terminal, and into the same file.
// Both leave out the functions' DEBUG-severity lines (firebase-functions logs one per callable request);
// firebase-debug.log, which firebase-tools writes in the project root, keeps everything.
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import path from "node:path";
import { SCRATCH } from "./harness.mjs";

export const EMULATORS_LOG = path.join(SCRATCH, "logs", "emulators.log");

const DEBUG_LINE = /^>\s+\{.*"severity":"DEBUG"/;
/** firebase-tools colours its output even into a pipe; the file gets it without the colour codes. */
// eslint-disable-next-line no-control-regex
const COLOUR_CODES = /\u001b\[[0-9;]*m/g;

/** The log file as the user would type it: relative to the working directory when it is inside it. */
export function shownLogPath() {
  const relative = path.relative(process.cwd(), EMULATORS_LOG);
  return relative.startsWith("..") ? EMULATORS_LOG : relative;
}

/**
 * Opens the log file, emptied for this run. `copy(stream, { toConsole, onLine })` then copies a child's
 * output stream into it line by line (and to stdout when `toConsole`), without DEBUG lines, calling
 * `onLine` with each line kept. Writes are synchronous, so nothing is lost when the harness exits.
 */
export function openEmulatorLog() {
  mkdirSync(path.dirname(EMULATORS_LOG), { recursive: true });
  const fd = openSync(EMULATORS_LOG, "w");
  let open = true;
  const write = (text) => {
    if (open) writeSync(fd, text.replace(COLOUR_CODES, ""));
  };
  return {
    copy(stream, { toConsole, onLine = () => {} }) {
      let pending = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk) => {
        const lines = (pending + chunk).split("\n");
        pending = lines.pop() ?? "";
        const kept = lines.filter((line) => !DEBUG_LINE.test(line));
        if (kept.length === 0) return;
        const text = `${kept.join("\n")}\n`;
        write(text);
        if (toConsole) process.stdout.write(text);
        kept.forEach(onLine);
      });
      stream.on("end", () => {
        if (!pending || DEBUG_LINE.test(pending)) return;
        write(`${pending}\n`);
        if (toConsole) process.stdout.write(pending);
      });
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}

/** The last `count` lines of the log file (for a start-up that failed while nobody was watching). */
export function logTail(count) {
  const lines = readFileSync(EMULATORS_LOG, "utf8").trimEnd().split("\n");
  return lines.slice(-count);
}
