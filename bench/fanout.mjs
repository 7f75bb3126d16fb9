// The trigger's fan-out alone, in a child process (bench/fanout.child.mjs): its peak heap as the audience
// grows tenfold (10,000 then 100,000 recipients, a device each), and the Firestore documents it reads per
// recipient for one comment. The comment is handed to the handler as its event (not written), so the
// Functions emulator's own trigger stays out of it. The digest of a window that comment opened, the same
// way: sendCommentDigest's handler on its task, in a child process of its own, on the same audience.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  benchToken,
  clearFcmLog,
  median,
  progress,
  resetBenchDatabase,
  round,
  writeInBatches,
} from "./bench-support.mjs";

const require = createRequire(import.meta.url);
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "fanout.child.mjs");

/** A post followed by `recipients` users of one device each (device docs and their lists, as registered). */
async function seedAudience(db, recipients) {
  const { Timestamp } = require("firebase-admin/firestore");
  const { deviceIdOf } = require("../functions/lib/devices/deviceId.js");
  const { listEntryOf } = require("../functions/lib/devices/seed.js");
  const run = randomUUID().slice(0, 8);
  const postId = `bench-mem-${run}`;
  const now = Timestamp.now();
  // Subscribed an hour ago: the first comment folds them into the post's roster (functions/src/posts/roster.ts).
  const subscribedAt = Timestamp.fromMillis(now.toMillis() - 3_600_000);
  const started = performance.now();
  await db
    .doc(`posts/${postId}`)
    .set({ authorId: `bench-mem-author-${run}`, title: "Memory", createdAt: now });
  await db.doc(`users/bench-mem-commenter-${run}`).set({ displayName: "Bench" });
  await writeInBatches(
    db,
    recipients,
    (batch, i) => {
      const uid = `bench-mem-${run}-${String(i).padStart(6, "0")}`;
      const device = {
        uid,
        token: benchToken(`bench-mem-${run}-${i}`),
        platform: "android",
        locale: i % 2 === 0 ? "ko-KR" : "en-US",
        appVersion: "1.0.0",
        createdAt: now,
        lastSeenAt: now,
      };
      const deviceId = deviceIdOf(device.token);
      batch.set(db.doc(`posts/${postId}/subscribers/${uid}`), { muted: false, since: subscribedAt });
      batch.set(db.doc(`devices/${deviceId}`), device);
      batch.set(db.doc(`userDevices/${uid}`), { devices: { [deviceId]: listEntryOf(device) } });
    },
    4,
    166,
  );
  progress(`seeded ${recipients} recipients in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { postId, run, recipients, deliveries: [], posts: [postId], comments: [], windowComments: [] };
}

/**
 * Another post followed by the same users, subscribed an hour ago and not folded yet (no comment so far);
 * with `mutedEvery`, every such subscriber (the 5th, 10th, …) has muted it.
 */
async function addPost(db, world, { mutedEvery } = {}) {
  const { Timestamp } = require("firebase-admin/firestore");
  const postId = `${world.postId}-${world.posts.length}`;
  const subscribedAt = Timestamp.fromMillis(Date.now() - 3_600_000);
  await db
    .doc(`posts/${postId}`)
    .set({ authorId: `bench-mem-author-${world.run}`, title: "Reads", createdAt: subscribedAt });
  await writeInBatches(
    db,
    world.recipients,
    (batch, i) =>
      batch.set(db.doc(`posts/${postId}/subscribers/${uidOf(world.run, i)}`), {
        muted: mutedEvery !== undefined && (i + 1) % mutedEvery === 0,
        since: subscribedAt,
      }),
    4,
    500,
  );
  world.posts.push(postId);
  return postId;
}

/**
 * Removes the world: the bench's database emptied at once under `npm run bench`; elsewhere deleted by key
 * (a query over 100,000 documents is slow in the Firestore emulator: it scans).
 */
async function cleanUp(db, world) {
  if (await resetBenchDatabase()) return;
  const { deviceIdOf } = require("../functions/lib/devices/deviceId.js");
  const writer = db.bulkWriter({ throttling: false });
  for (let i = 0; i < world.recipients; i++) {
    const uid = uidOf(world.run, i);
    for (const postId of world.posts) void writer.delete(db.doc(`posts/${postId}/subscribers/${uid}`));
    void writer.delete(db.doc(`userDevices/${uid}`));
    void writer.delete(db.doc(`devices/${deviceIdOf(tokenOf(world.run, i))}`));
  }
  for (const postId of world.posts) {
    void writer.delete(db.doc(`posts/${postId}`));
    for (let n = 0; n * 5_000 < world.recipients; n++)
      void writer.delete(db.doc(`posts/${postId}/roster/${n}`));
    void writer.delete(db.doc(`posts/${postId}/roster/meta`));
  }
  for (const path of [...world.deliveries, ...world.comments]) void writer.delete(db.doc(path));
  void writer.delete(db.doc(`users/bench-mem-commenter-${world.run}`));
  for (const name of DIGEST_COMMENTERS)
    void writer.delete(db.doc(`users/bench-mem-commenter-${world.run}-${name}`));
  await writer.close();
}

const uidOf = (run, i) => `bench-mem-${run}-${String(i).padStart(6, "0")}`;
const tokenOf = (run, i) => benchToken(`bench-mem-${run}-${i}`);

/** The child (bench/fanout.child.mjs) run with `args`; its figures. */
function inChild(args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", CHILD, ...args], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      env: { ...process.env, ...env },
    });
    let result;
    child.on("message", (message) => {
      result = message;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0 && result) resolve(result);
      else reject(new Error(`${args[0] === "--digest" ? "digest" : "fan-out"} child exited with ${code}`));
    });
  });
}

/** One comment's fan-out (the comment handed to the trigger's handler, not written); returns its id too. */
async function fanOutInChild(world, countReads, postId = world.postId, env = {}) {
  const commentId = `bench-mem-comment-${randomUUID().slice(0, 8)}`;
  // The child's delivery record (bench/fanout.child.mjs names the event so).
  world.deliveries.push(`pushDeliveries/bench-fanout-${commentId}`);
  const run = await inChild(
    [postId, commentId, `bench-mem-commenter-${world.run}`, ...(countReads ? ["--count-reads"] : [])],
    env,
  );
  return { ...run, commentId };
}

/** The commenters of the digest's window (none of them a subscriber: every recipient hears of every comment). */
const DIGEST_COMMENTERS = ["a", "b", "c"];
const WINDOW_MS = 60_000;

/**
 * A coalescing window of the world's post, opened by `openerId` three minutes ago and closed since (past the
 * digest's grace), holding five comments by three commenters (written, as the digest reads them); the
 * digest task of that window (functions/src/push/kinds/comment/coalesce/digestTask.ts).
 *
 * The Functions emulator's onCommentCreated sees the comments written. So that it neither fans them out
 * nor folds them into a window of its own (whose digest, sent by the emulator's sendCommentDigest, would
 * race the one measured), the post's window doc first keeps a newer window only, and says every window up
 * to that one's start is forgotten (`forgottenThrough`): the comments are older than every window it
 * keeps and no newer than a forgotten one, "too late", and the trigger only records them
 * (docs/coalescing.md). Without `forgottenThrough` they were "unwindowed", and each was fanned out to the
 * whole audience beside the digest measured (`notFannedOut` checks). Turning the emulator's triggers off
 * instead (its hub's disableBackgroundTriggers) hangs on a busy machine when they are turned on again.
 */
async function seedWindow(db, world, openerId) {
  const { Timestamp } = require("firebase-admin/firestore");
  const { digestIdOf } = require("../functions/lib/push/kinds/comment/coalesce/digestTask.js");
  const now = Date.now();
  const opensAt = now - 3 * WINDOW_MS;
  const window = { windowId: openerId, after: opensAt - WINDOW_MS, opensAt, closesAt: opensAt + WINDOW_MS };
  const newer = {
    windowId: `bench-mem-later-${world.run}`,
    after: now - 1_000,
    opensAt: now,
    closesAt: now + 3_600_000,
  };
  await db.doc(`pushWindows/${world.postId}`).set({ windows: [newer], forgottenThrough: newer.after });
  world.comments.push(`pushWindows/${world.postId}`);
  const comments = `posts/${world.postId}/comments`;
  const batch = db.batch();
  const text = "Memory benchmark comment. ".repeat(8);
  // The opener's own push is the fan-out (or none); the digest reads the comments after it.
  for (let i = 0; i < 5; i++) {
    const commentId = `bench-mem-window-${world.run}-${i}`;
    const author = `bench-mem-commenter-${world.run}-${DIGEST_COMMENTERS[i % DIGEST_COMMENTERS.length]}`;
    batch.set(db.doc(`${comments}/${commentId}`), {
      authorId: author,
      text,
      createdAt: Timestamp.fromMillis(opensAt + (i + 1) * 1_000),
    });
    batch.set(db.doc(`users/${author}`), { displayName: `Bench ${i % DIGEST_COMMENTERS.length}` });
    world.comments.push(`${comments}/${commentId}`);
    world.windowComments.push(commentId);
  }
  await batch.commit();
  world.deliveries.push(`pushDeliveries/${digestIdOf(world.postId, openerId)}`);
  return { postId: world.postId, window };
}

/**
 * Throws if the emulator's trigger fanned out any of the window comments seedWindow wrote: a delivery of its
 * own would have raced the digest measured (it did before `forgottenThrough`, and made the 100,000-recipient
 * digest three times slower than its fan-out).
 */
async function notFannedOut(db, world) {
  for (const commentId of world.windowComments) {
    // The trigger's record of a comment it only coalesced (too late) is no delivery.
    const found = await db.collection("pushDeliveries").where("commentId", "==", commentId).get();
    if (found.docs.some((doc) => doc.get("coalesced") !== true)) {
      throw new Error(
        `the emulator's trigger fanned out window comment ${commentId} beside the digest measured`,
      );
    }
  }
}

/** The peak heaps of one run of the child, in MiB, and how long it took. */
function heapFigures(run) {
  return {
    seconds: round(run.seconds, 1),
    heap_baseline_mib: round(run.heapBaselineMiB, 1),
    peak_heap_mib: round(run.heapPeakMiB, 1),
    peak_live_heap_mib: round(run.liveHeapPeakMiB, 1),
  };
}

/** The figures of `memory` (by size) as the audience grows from `small` to `large`, under `name`'s ratios. */
function ratios(name, memory, [small, large]) {
  return {
    // What the run holds (live after a full collection), as the audience grows tenfold.
    [`${name}_memory_ratio`]: round(memory[large].peak_live_heap_mib / memory[small].peak_live_heap_mib, 2),
    // The sampled peak, garbage included: when V8 collects is its own choice (reported, not the target).
    [`${name}_sampled_heap_ratio`]: round(memory[large].peak_heap_mib / memory[small].peak_heap_mib, 2),
  };
}

/**
 * On one post followed by 10,000, then 100,000 recipients (a device each), in a process of its own each:
 * with `fanOut`, the peak heap of a comment's fan-out (the post's first comment, which folds the roster)
 * and reads per recipient at the smaller size; with `digest`, the peak heap of the digest of a closed window
 * (opened by that comment when the fan-out is measured too). The two share the seeded audience (seeding
 * 100,000 recipients is most of the part's time). Returns `{ fanout_memory, digest_memory }`, each the
 * part's figures or `{ error }` (or undefined when not asked for).
 */
export async function measureMemory(db, { sizes, fanOut = true, digest = false }) {
  const fan = fanOut ? { memory: {}, reads: undefined } : undefined;
  const dig = digest ? { memory: {} } : undefined;
  const errors = {};
  /** Runs `name`'s step unless that part failed already; a step that fails ends its part, not the other. */
  const step = async (name, run) => {
    if (errors[name]) return undefined;
    try {
      return await run();
    } catch (error) {
      errors[name] = error instanceof Error ? error.message : String(error);
      progress(`${name === "fanOut" ? "fan-out" : "digest"} memory FAILED: ${errors[name]}`);
      return undefined;
    }
  };
  for (const size of sizes) {
    if ((!fan || errors.fanOut) && (!dig || errors.digest)) break;
    const world = await seedAudience(db, size);
    try {
      await clearFcmLog();
      // The fan-out measured; its comment opens the digest's window.
      let opener;
      if (fan && !errors.fanOut) {
        try {
          opener = await fanOutInChild(world, false);
          const counts = opener.outcome.counts ?? {};
          if (opener.outcome.status !== "done" || counts.sent !== size) {
            throw new Error(`fan-out to ${size}: ${JSON.stringify(opener.outcome)}`);
          }
        } catch (error) {
          opener = undefined;
          errors.fanOut = error instanceof Error ? error.message : String(error);
          progress(`fan-out memory FAILED: ${errors.fanOut}`);
        }
      }
      if (fan && opener && !errors.fanOut) {
        const counts = opener.outcome.counts;
        fan.memory[size] = { recipients: counts.recipients, messages: counts.sent, ...heapFigures(opener) };
        const m = fan.memory[size];
        progress(
          `fan-out memory, ${size} recipients: peak live heap ${m.peak_live_heap_mib} MiB ` +
            `(sampled peak ${m.peak_heap_mib} MiB), ${m.seconds} s`,
        );
      }
      if (fan && size === sizes[0] && opener) {
        await step("fanOut", async () => {
          // A comment on a post whose subscribers its last comment folded (the memory run's): the usual case.
          await clearFcmLog();
          const steady = await fanOutInChild(world, true);
          // And the first comment on a post: it reads every subscriber doc, and folds them.
          const first = await fanOutInChild(world, true, await addPost(db, world));
          // The feed's cost: the same post's fan-out with and without it (PUSH_FEED), in one process, warm
          // (a first run untimed), then three of each in turn; the medians compared.
          const order = [true, false, true, false, true, true, false];
          const planned = order.map((feed, i) => ({
            commentId: `bench-mem-comment-${randomUUID().slice(0, 8)}-${feed ? "feed" : "none"}-${i}`,
            feed,
          }));
          for (const { commentId } of planned)
            world.deliveries.push(`pushDeliveries/bench-fanout-${commentId}`);
          const { runs } = await inChild([
            world.postId,
            "-",
            `bench-mem-commenter-${world.run}`,
            "--runs",
            JSON.stringify(planned),
          ]);
          const timed = { feed: [], none: [] };
          for (const [i, run] of runs.entries()) {
            if (run.outcome.status !== "done") throw new Error(`feed run: ${JSON.stringify(run.outcome)}`);
            if (i > 0) timed[run.feed ? "feed" : "none"].push(run.outcome.counts.sent / run.seconds);
          }
          fan.feed = {
            with_feed_messages_per_s: round(median(timed.feed)),
            without_feed_messages_per_s: round(median(timed.none)),
            all_runs: { feed: timed.feed.map((r) => round(r)), none: timed.none.map((r) => round(r)) },
            feed_fanout_ratio: round(median(timed.feed) / median(timed.none), 2),
          };
          progress(`feed: ${JSON.stringify(fan.feed)}`);
          // And a post that 20% of its subscribers muted: a comment after its first (which folds its roster).
          const mutedPost = await addPost(db, world, { mutedEvery: 5 });
          await fanOutInChild(world, false, mutedPost);
          const muted = await fanOutInChild(world, true, mutedPost);
          // To the precision of the targets (2.0, 3.0, 2.3): a comment's few fixed reads (the post, the commenter's name, the
          // roster's meta and shards, the delivery record) add 0.001 per recipient at 10,000; the counts are reported beside.
          const perRecipient = (run) => round(run.reads / run.outcome.counts.recipients, 2);
          fan.reads = {
            recipients: steady.outcome.counts.recipients,
            reads: steady.reads,
            reads_per_recipient: perRecipient(steady),
            first_comment_reads: first.reads,
            first_comment_reads_per_recipient: perRecipient(first),
            muted_recipients: muted.outcome.counts.recipients,
            muted_reads: muted.reads,
            muted_reads_per_recipient: perRecipient(muted),
            writes: steady.writes,
            writes_per_recipient: round(steady.writes / steady.outcome.counts.recipients, 2),
          };
          progress(
            `reads: ${steady.reads} documents for ${steady.outcome.counts.recipients} recipients ` +
              `(the post's first comment: ${first.reads}; 20% muted: ${muted.reads} for ${muted.outcome.counts.recipients})`,
          );
        });
      }
      if (dig) {
        await step("digest", async () => {
          // After the fan-out of its opener when that was measured (as in production: the opener is pushed at
          // once, and folds the roster); alone, the digest is the first to read the post's audience, as the
          // fan-out's memory run is. Either way both sizes are measured alike.
          const openerId = opener?.commentId ?? `bench-mem-comment-${randomUUID().slice(0, 8)}`;
          const task = await seedWindow(db, world, openerId);
          await clearFcmLog();
          const run = await inChild(["--digest", JSON.stringify(task)]);
          await notFannedOut(db, world);
          const counts = run.outcome.counts ?? {};
          if (run.outcome.status !== "done" || counts.sent !== size) {
            throw new Error(`digest to ${size}: ${JSON.stringify(run.outcome)}`);
          }
          dig.memory[size] = { recipients: counts.recipients, messages: counts.sent, ...heapFigures(run) };
          const m = dig.memory[size];
          progress(
            `digest memory, ${size} recipients: peak live heap ${m.peak_live_heap_mib} MiB ` +
              `(sampled peak ${m.peak_heap_mib} MiB), ${m.seconds} s`,
          );
          if (size === sizes[0]) {
            // The reads of a digest, counted in a run of their own (counting slows the client down).
            const counted = await inChild([
              "--digest",
              JSON.stringify(await seedWindow(db, world, `bench-mem-comment-${randomUUID().slice(0, 8)}`)),
              "--count-reads",
            ]);
            const recipients = counted.outcome.counts?.recipients ?? 0;
            dig.reads = {
              recipients,
              reads: counted.reads,
              digest_reads_per_recipient: recipients > 0 ? round(counted.reads / recipients, 2) : null,
            };
            progress(`digest reads: ${counted.reads} documents for ${recipients} recipients`);
          }
        });
      }
    } finally {
      await clearFcmLog();
      await cleanUp(db, world);
    }
  }
  const [small, large] = sizes;
  const part = (figures, error, name) => {
    if (!figures) return undefined;
    if (error) return { error };
    return { ...figures, ...ratios(name, figures.memory, [small, large]) };
  };
  const digestFigures = part(dig, errors.digest, "digest");
  const fanOutFigures = part(fan, errors.fanOut, "fanout");
  if (digestFigures && !digestFigures.error && fanOutFigures && !fanOutFigures.error) {
    // The digest's peak live heap over the fan-out's, on the larger audience (not a target).
    digestFigures.digest_vs_fanout_live_heap = round(
      dig.memory[large].peak_live_heap_mib / fan.memory[large].peak_live_heap_mib,
      2,
    );
  }
  return { fanout_memory: fanOutFigures, digest_memory: digestFigures };
}
