// A comment flood on one busy post, through the real path (docs/coalescing.md): 1,000 comments from 20
// commenters written as fast as the Admin SDK can, on a post with 2,000 subscribed devices; the Functions
// emulator's trigger folds them into windows (PUSH_COALESCE_SECONDS, 10 s in the emulator) and
// sendCommentDigest sends the digests. Prints the fan-outs (comments pushed at once + digests), the pushes
// the FCM emulator accepted, and the documents the pipeline read, next to what the same flood costs
// without coalescing.
//
//   node emulators/run.mjs exec "node bench/flood.mjs [--comments 1000] [--subscribers 2000]"
//
// Runnable alone, or from bench/run.mjs through `measureFlood(db, sizes)`.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { adminFirestore, clearFcmLog, fcmLog, option, progress, round, waitFor } from "./bench-support.mjs";
import { cleanUpPostWorld, seedPostWorld } from "./trigger.mjs";

const require = createRequire(import.meta.url);
const COMMENTERS = 20;
const IN_FLIGHT = 50;

/** Floods a fresh post world with `comments` comments and measures what it cost. */
export async function measureFlood(db, { comments = 1_000, subscribers = 2_000, timeoutMs = 300_000 } = {}) {
  const { FieldValue } = require("firebase-admin/firestore");
  const world = await seedPostWorld(db, { label: "flood", subscribers, devicesEach: 1 });
  const commenters = Array.from({ length: COMMENTERS }, (_, i) => `${world.commenter}-${i}`);
  try {
    await Promise.all(
      commenters.map((uid, i) => db.doc(`users/${uid}`).set({ displayName: `Flooder ${i}` })),
    );
    await clearFcmLog();
    const started = Date.now();
    let next = 0;
    const writer = async () => {
      while (next < comments) {
        const n = next++;
        const ref = db.collection(`posts/${world.postId}/comments`).doc();
        world.commentIds.push(ref.id);
        await ref.set({
          authorId: commenters[n % COMMENTERS],
          text: `Flood comment ${n}: ${"lorem ipsum ".repeat(8)}`,
          createdAt: FieldValue.serverTimestamp(),
        });
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, writer));
    const writeSeconds = (Date.now() - started) / 1000;
    progress(`flood: ${comments} comments written in ${writeSeconds.toFixed(1)} s; waiting for every record`);

    const records = () =>
      db
        .collection("pushDeliveries")
        .where("postId", "==", world.postId)
        .get()
        .then((snapshot) => snapshot.docs.map((doc) => ({ id: doc.id, ...doc.data() })));
    const all = await waitFor(
      async () => {
        const found = await records();
        const perComment = found.filter((r) => r.kind !== "comment_digest" && r.status !== "sending");
        const digestIds = new Set(perComment.map((r) => r.digestId).filter(Boolean));
        const digests = found.filter((r) => r.kind === "comment_digest" && r.status !== "sending");
        return perComment.length === comments && digests.length === digestIds.size ? found : undefined;
      },
      { timeoutMs, intervalMs: 1_000, what: "every comment's record and every digest" },
    );
    const windows = (await db.doc(`pushWindows/${world.postId}`).get()).get("windows") ?? [];
    const openers = all.filter((r) => r.kind !== "comment_digest" && r.coalesced !== true);
    const digests = all.filter((r) => r.kind === "comment_digest");
    const fanOuts = openers.length + digests.length;
    const pushes = (await fcmLog()).filter((entry) => entry.message.data?.postId === world.postId).length;
    const coalesced = comments - openers.length;

    // Documents read, from the pipeline's read pattern (the emulator meters nothing): every trigger reads
    // the window doc; a fan-out reads the post, the subscribers, their user docs (opt-outs) and their
    // devices (one device each here), and a comment fan-out the commenter's name; a digest also reads its
    // window's comments and the two comments (and names) it may show.
    const audienceReads = 1 + 3 * subscribers;
    const reads =
      comments +
      openers.length * (audienceReads + 1) +
      digests.reduce((sum, d) => sum + (d.comments ?? 0) + 4 + audienceReads, 0);
    const uncoalesced = {
      fan_outs: comments,
      reads: comments * (audienceReads + 1),
      pushes: comments * subscribers,
    };
    const result = {
      comments,
      subscribers,
      devices: subscribers,
      write_seconds: round(writeSeconds, 1),
      window_seconds: windows[0] ? (windows[0].closesAt - windows[0].opensAt) / 1000 : null,
      windows: windows.length,
      pushed_at_once: openers.length,
      coalesced,
      digests: digests.length,
      fan_outs: fanOuts,
      fan_outs_at_most: 2 * windows.length,
      pushes,
      pushes_recorded: [...openers, ...digests].reduce((sum, r) => sum + (r.sent ?? 0), 0),
      reads,
      without_coalescing: uncoalesced,
      seconds_to_last_digest: round((Date.now() - started) / 1000, 1),
    };
    progress(
      `flood: ${fanOuts} fan-outs (${openers.length} at once + ${digests.length} digests) over ${windows.length} ` +
        `windows; ${pushes} pushes, ~${reads} reads (without coalescing: ${comments} fan-outs, ` +
        `${uncoalesced.pushes} pushes, ~${uncoalesced.reads} reads)`,
    );
    return result;
  } finally {
    await Promise.all([
      ...commenters.map((uid) => db.doc(`users/${uid}`).delete()),
      db.doc(`pushWindows/${world.postId}`).delete(),
    ]);
    // The post's deliveries (1,000 comment records and the digest's) go with the world.
    await cleanUpPostWorld(db, world);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { db, close } = adminFirestore("flood");
  measureFlood(db, { comments: option("comments", 1_000), subscribers: option("subscribers", 2_000) })
    .then(async (result) => {
      console.log(JSON.stringify({ flood: result }, null, 2));
      await close();
      process.exit(0);
    })
    .catch(async (error) => {
      console.error(error);
      await close();
      process.exit(1);
    });
}
