// One comment's fan-out in a process of its own: onCommentCreated's handler from functions/lib, with the real
// stores against the Firestore emulator and the real FCM client against the FCM emulator, sent by the
// trigger itself (no tasks, no coalescing), so the figures are the fan-out's alone: its peak V8 heap
// (sampled, and live after a full collection) and, with --count-reads, every document Firestore returned to it (billed reads:
// found and missing documents of a get, documents of a query, one per aggregation). With --digest, one
// window's digest instead: sendCommentDigest's handler on the task given (a window already closed), sent by
// the task itself (no slices) and measured the same way.
//
// With --runs, several comments' fan-outs one after another in this one process, each with the feed on or
// off (PUSH_FEED, read by every run), timed and nothing else: the feed's cost, warm and interleaved.
//
// Run by bench/fanout.mjs: node bench/fanout.child.mjs <postId> <commentId> <commenter> [--count-reads]
//                          (with PUSH_FEED=false in its environment: the same fan-out without the feed)
//                          node bench/fanout.child.mjs <postId> - <commenter> --runs '[{"commentId","feed"}]'
//                          node bench/fanout.child.mjs --digest '<task as JSON>' [--count-reads]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// The production params (functions/.env), then the bench's: every device sent by the trigger, at once.
for (const line of readFileSync(path.join(ROOT, "functions/.env"), "utf8").split("\n")) {
  const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
  if (match && process.env[match[1]] === undefined) process.env[match[1]] = match[2];
}
Object.assign(process.env, {
  PUSH_TASKS_THRESHOLD: "100000000",
  PUSH_COALESCE_SECONDS: "0",
  FCM_EMULATOR_HOST: process.env.FCM_EMULATOR_HOST,
});

const [postId, commentId, commenter] = process.argv.slice(2);
const digestAt = process.argv.indexOf("--digest");
const digestTask = digestAt === -1 ? undefined : JSON.parse(process.argv[digestAt + 1]);
const countReads = process.argv.includes("--count-reads");
const runsAt = process.argv.indexOf("--runs");
const timedRuns = runsAt === -1 ? undefined : JSON.parse(process.argv[runsAt + 1]);

let reads = 0;
let writes = 0;
if (countReads) {
  // The Firestore client logs every response it receives; a response carrying a document is one billed read,
  // and each result of a commit (a batch, a transaction) or a BulkWriter batch is one billed write.
  const { setLogFunction } = require(
    require.resolve("@google-cloud/firestore", { paths: [path.join(ROOT, "functions")] }),
  );
  setLogFunction((message) => {
    if (!message.includes("Received response:")) return;
    if (message.includes('"writeResults":[')) writes += message.split('"transformResults":').length - 1;
    if (/"(found|missing)":/.test(message) || /"document":\{/.test(message)) reads++;
    else if (/"result":\{"aggregateFields"/.test(message)) reads++;
  });
}

// Only the handler measured is loaded, before the baseline is taken.
const { handleCommentCreated, handleCommentDigest } = digestTask
  ? require("../functions/lib/functions/sendCommentDigest.js")
  : require("../functions/lib/functions/onCommentCreated.js");
const { Timestamp } = require("firebase-admin/firestore");

const commentOf = (id) => ({
  id: `bench-fanout-${id}`,
  params: { postId, commentId: id },
  data: {
    data: () => ({
      authorId: commenter,
      text: "Memory benchmark comment. ".repeat(8),
      createdAt: Timestamp.now(),
    }),
  },
});

if (timedRuns) {
  const runs = [];
  for (const { commentId: id, feed } of timedRuns) {
    if (feed) delete process.env.PUSH_FEED;
    else process.env.PUSH_FEED = "false";
    const started = performance.now();
    const outcome = await handleCommentCreated(commentOf(id));
    runs.push({ commentId: id, feed, outcome, seconds: (performance.now() - started) / 1000 });
  }
  process.send({ runs });
  process.exit(0);
}

// Two peaks: the heap as sampled every 10 ms (garbage not collected yet included, so it depends on when V8
// chose to collect), and the heap that is live, sampled right after a full collection every 250 ms (what
// the fan-out holds: with --expose-gc, which bench/fanout.mjs passes).
let heapPeak = 0;
let livePeak = 0;
const sample = () => {
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
};
const sampleLive = () => {
  globalThis.gc?.();
  livePeak = Math.max(livePeak, process.memoryUsage().heapUsed);
};
// Made before the baseline, as the comment the trigger is handed would be.
const event = digestTask ? undefined : commentOf(commentId);
const readsBefore = reads;
const writesBefore = writes;
sample();
const baseline = process.memoryUsage().heapUsed;
const timer = setInterval(sample, 10);
const liveTimer = setInterval(sampleLive, 250);
const started = performance.now();
const outcome = digestTask ? await handleCommentDigest(digestTask) : await handleCommentCreated(event);
const seconds = (performance.now() - started) / 1000;
clearInterval(timer);
clearInterval(liveTimer);
sample();
process.send({
  outcome,
  seconds,
  reads: reads - readsBefore,
  writes: writes - writesBefore,
  heapBaselineMiB: baseline / 2 ** 20,
  heapPeakMiB: heapPeak / 2 ** 20,
  liveHeapPeakMiB: livePeak / 2 ** 20,
});
process.exit(0);
