// unread_exact: whether every recipient's `notifications/{uid}.unread` equals their number of unread feed
// items (docs/delivery.md, "The feed") after many deliveries reached them at once, one of them killed and
// run again. `posts` posts by recipients, each followed by the same `recipients` users (three in four with
// one to three devices, the rest with none); one comment on each post at once. All but the last are written
// with the Admin SDK, so the Functions emulator's onCommentCreated fans them out (different posts: no
// coalescing folds them). The last post's comment is never written: its delivery runs on an event of the
// bench's own in a child process (drills/child.mjs), is killed for real at a crash point (by default after
// its first batch was answered: its first page's items written, some of them pushed), and is run again
// once its lease (2 s) ran out, then swept, as the crash drills do. When every delivery has ended, each
// recipient's items are counted with the Admin SDK and compared with their `unread`; pushes are matched to
// items (the FCM emulator's log).
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import {
  PROJECT,
  benchToken,
  fcmLog,
  progress,
  round,
  sleep,
  waitFor,
  writeInBatches,
} from "./bench-support.mjs";
import { feedProblems, feedState } from "../drills/feed.mjs";

const require = createRequire(import.meta.url);
const CHILD = new URL("../drills/child.mjs", import.meta.url).pathname;
const LEASE_MS = 2_000;

/** Runs the comment handler once on `event` in a child (drills/child.mjs); its exit and its JSON line. */
function runChild(event, crashAt) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [CHILD, JSON.stringify({ event, leaseMs: LEASE_MS, threshold: 1_000_000 })],
      { env: { ...process.env, PUSH_CRASH_AT: crashAt ?? "" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (err += chunk));
    child.on("exit", (code, signal) => {
      let result;
      try {
        result = JSON.parse(out.trim().split("\n").pop() ?? "");
      } catch {
        result = undefined;
      }
      resolve({ code, signal, result, stderr: err.slice(-1_000) });
    });
  });
}

/** The crashed delivery: killed at `crashAt`, run again after its lease, swept if it stayed `sending`. */
async function crashAndRetry(db, event, crashAt) {
  const first = await runChild(event, crashAt);
  if (first.signal !== "SIGKILL") {
    throw new Error(
      `the crashed run was not killed at ${crashAt}: ${JSON.stringify(first.result)} ${first.stderr}`,
    );
  }
  await sleep(LEASE_MS + 200);
  const retry = await runChild(event);
  const outcome = retry.result?.outcome?.kind;
  if (!outcome) throw new Error(`the retry: ${JSON.stringify(retry.result)} ${retry.stderr}`);
  let record = (await db.doc(`pushDeliveries/${event.id}`).get()).data();
  if (record?.status === "sending") {
    // Killed while sending: nothing will end it but the sweeper (its lease ran out), run now in the
    // Functions emulator (its error-level line goes to the emulators' log).
    const response = await fetch(`http://127.0.0.1:5001/${PROJECT}/us-central1/sweepDeliveries-0`, {
      method: "POST",
    });
    if (!response.ok) throw new Error(`sweepDeliveries-0 answered HTTP ${response.status}`);
    record = await waitFor(
      async () => {
        const data = (await db.doc(`pushDeliveries/${event.id}`).get()).data();
        return data?.status === "sending" ? undefined : data;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: `the sweep of pushDeliveries/${event.id}` },
    );
  }
  return { crash_at: crashAt, retry: outcome, status: record?.status };
}

/**
 * `posts` concurrent comments to the same `recipients`, one delivery killed and retried; then, for every
 * recipient, `unread` against their unread items. Returns { unread_exact, recipients, items, mismatches
 * (the first few), seconds }, and beside them the deliveries, the crashed one's fate and any other feed
 * problem (a pushed recipient without the item, an item twice).
 */
export async function measureUnreadExact(
  db,
  { posts = 20, recipients = 200, crashAt = "sent-batch:1", timeoutMs = 180_000 } = {},
) {
  const { FieldValue, Timestamp } = require("firebase-admin/firestore");
  const { seedDevices } = require("../functions/lib/devices/seed.js");
  const run = randomUUID().slice(0, 8);
  const uids = Array.from({ length: recipients }, (_, r) => `unread-${run}-r${r}`);
  const postIds = Array.from({ length: posts }, (_, p) => `unread-${run}-post${p}`);
  const commenter = `unread-${run}-commenter`;
  const devicesOf = (r) => (r % 4 === 3 ? 0 : 1 + (r % 3));
  const now = Timestamp.now();

  // The world: posts by recipients (each post's author is also a subscriber: notified once), subscribers,
  // devices.
  await db.doc(`users/${commenter}`).set({ displayName: "Unread Bench" });
  await writeInBatches(db, posts, (batch, p) =>
    batch.set(db.doc(`posts/${postIds[p]}`), {
      authorId: uids[p % recipients],
      title: `Unread ${p}`,
      createdAt: FieldValue.serverTimestamp(),
    }),
  );
  await writeInBatches(db, posts * recipients, (batch, i) =>
    batch.set(db.doc(`posts/${postIds[Math.floor(i / recipients)]}/subscribers/${uids[i % recipients]}`), {
      muted: false,
      since: now,
    }),
  );
  const devices = uids.flatMap((uid, r) =>
    Array.from({ length: devicesOf(r) }, (_, d) => ({
      uid,
      token: benchToken(`unread-${run}-${r}-${d}`),
      platform: d % 2 === 0 ? "android" : "ios",
      locale: r % 2 === 0 ? "ko-KR" : "en-US",
      createdAt: now,
      lastSeenAt: now,
    })),
  );
  await seedDevices(db, devices);
  const uidOfToken = new Map(devices.map((d) => [d.token, d.uid]));
  progress(`unread_exact: ${posts} posts × ${recipients} recipients, ${devices.length} devices seeded`);

  // One comment on each post at once: all but the last through the trigger, the last killed and run again.
  const started = performance.now();
  const crashed = {
    id: `unread-${run}-event-crashed`,
    params: { postId: postIds[posts - 1], commentId: `unread-${run}-comment-crashed` },
    comment: { authorId: commenter, text: "The crashed one." },
  };
  const commentRefs = postIds
    .slice(0, posts - 1)
    .map((postId) => db.collection(`posts/${postId}/comments`).doc());
  const [crash] = await Promise.all([
    crashAndRetry(db, crashed, crashAt),
    ...commentRefs.map((ref, p) =>
      ref.set({ authorId: commenter, text: `Comment ${p}`, createdAt: FieldValue.serverTimestamp() }),
    ),
  ]);
  const triggered = await Promise.all(
    commentRefs.map((ref) =>
      waitFor(
        async () => {
          const found = await db.collection("pushDeliveries").where("commentId", "==", ref.id).get();
          const doc = found.docs[0];
          return doc && doc.get("status") !== "sending"
            ? { id: doc.id, commentId: ref.id, ...doc.data() }
            : undefined;
        },
        { timeoutMs, intervalMs: 500, what: `the delivery of comment ${ref.id}` },
      ),
    ),
  );
  const deliveryOf = new Map([
    ...triggered.map((d) => [d.commentId, d.id]),
    [crashed.params.commentId, crashed.id],
  ]);

  // Who was sent a push of which delivery (the FCM emulator's log), and each recipient's feed.
  const pushed = new Map();
  for (const { message } of await fcmLog()) {
    const uid = uidOfToken.get(message.token);
    const deliveryId = deliveryOf.get(message.data?.commentId);
    if (!uid || !deliveryId) continue;
    pushed.set(uid, [...(pushed.get(uid) ?? []), deliveryId]);
  }
  const state = await feedState(db, uids);
  const found = feedProblems(state, { deliveryIds: [...deliveryOf.values()], pushed });
  const seconds = round((performance.now() - started) / 1000, 1);
  const mismatches = found.problems.filter((line) => line.includes(": unread "));
  const others = found.problems.filter((line) => !line.includes(": unread "));
  const result = {
    unread_exact: mismatches.length === 0,
    recipients: found.recipients,
    items: found.items,
    mismatches: mismatches.slice(0, 5),
    seconds,
    deliveries: deliveryOf.size,
    done: triggered.filter((d) => d.status === "done").length,
    crashed: crash,
    pushed_recipients: pushed.size,
    feed_problems: others.slice(0, 5),
  };
  progress(
    `unread_exact: ${result.unread_exact ? "exact" : `${mismatches.length} mismatches`} over ${found.recipients} recipients, ` +
      `${found.items} items from ${deliveryOf.size} deliveries (${result.done} done by the trigger; the crashed one ` +
      `${crash.retry} on retry, ${crash.status}); ${others.length} other feed problems; ${seconds} s`,
  );
  return result;
}
