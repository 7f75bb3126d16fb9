// One run of the comment trigger's handler in a process of its own, as a Cloud Functions instance would run
// it: the built functions (functions/lib) against the emulators the drill runner points it at. The runner
// may kill it for real (PUSH_CRASH_AT, functions/src/push/crashPoint.ts) and then start another.
//
//   node drills/child.mjs '<json: { event, leaseMs, threshold }>'
//
// Prints one JSON line with the outcome (or the error), and exits 0, or 3 when the handler threw.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const lib = (path) => require(`../functions/lib/${path}`);

const { event, leaseMs, threshold } = JSON.parse(process.argv[2] ?? "{}");
const { pushDeps, pushStoresOn, pushSliceQueue } = lib("push/defaults.js");
const { fanOutComment } = lib("push/kinds/comment/fanOut.js");
const { defaultRetryPolicy } = lib("push/domain/retryPolicy.js");
const { firestore } = lib("shared/admin.js");

const { Timestamp } = require("firebase-admin/firestore");
const comment = { ...event.comment, createdAt: Timestamp.now() };
const deps = await pushDeps({
  stores: await pushStoresOn(firestore(), { deliveryLeaseMs: leaseMs, sliceLeaseMs: leaseMs }),
  policy: { ...defaultRetryPolicy, baseDelayMs: 50, budgetMs: 10_000 },
  ttlSeconds: 3600,
  tasks: { threshold, queue: pushSliceQueue() },
});
try {
  const outcome = await fanOutComment(
    { id: event.id, params: event.params, data: { data: () => ({ ...comment }) } },
    deps,
  );
  process.stdout.write(`${JSON.stringify({ outcome })}\n`);
  process.exit(0);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: String(error?.message ?? error), name: error?.name })}\n`);
  process.exit(3);
}
