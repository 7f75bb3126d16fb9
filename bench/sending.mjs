// The two reference points of the fan-out, against the same FCM emulator the trigger sends to, with no
// Firestore at all:
// - baseline: what the seed articles do, one `send()` per token, each awaited before the next;
// - ceiling: raw `sendEach` batches of 500 prebuilt comment pushes (composed by the functions' own
//   composeCommentPush), 1 or 2 batches in flight, the better of the two kept. Over firebase-admin's
//   default HTTP/2 transport (what production sends with, as the functions do in the emulator); the
//   legacy HTTP/1.1 transport's ceiling is measured beside it (`ceiling_h2_vs_http1`).
import { createRequire } from "node:module";
import {
  benchToken,
  clearFcmLog,
  fcmTarget,
  PROJECT,
  progress,
  round,
  setFcmLatency,
} from "./bench-support.mjs";
import { cpuPerMessage, cpuSnapshot } from "./cpu.mjs";

const require = createRequire(import.meta.url);
const BATCH = 500;

/** An emulator client over `transport`: "h2" (the default, production's) or "http/1.1" (the legacy one). */
function messaging(transport = "h2") {
  const { emulatorMessaging } = require("../functions/lib/shared/messaging.js");
  return emulatorMessaging(fcmTarget(), PROJECT, transport);
}

/** `count` comment pushes as the trigger composes them, for devices of mixed platforms and locales. */
export function prebuiltPushes(count, label) {
  const { composeCommentPush } = require("../functions/lib/push/kinds/comment/compose.js");
  return Array.from({ length: count }, (_, i) =>
    composeCommentPush({
      device: {
        token: benchToken(`${label}-${i}`),
        platform: i % 3 === 0 ? "ios" : "android",
        locale: i % 2 === 0 ? "ko-KR" : "en-US",
      },
      commenterName: "Bench Commenter",
      relation: "subscriber",
      postId: "bench-post",
      commentId: `bench-comment-${label}`,
      authorId: "bench-commenter",
      text: "A comment of a realistic length, the kind people write under a post. ".repeat(4),
    }),
  );
}

/** Messages/s of `sendEach` batches of 500, `inFlight` batches at a time. */
async function sendEachRate(client, messages, inFlight) {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < messages.length) {
      const batch = messages.slice(next, next + BATCH);
      next += BATCH;
      failed += (await client.sendEach(batch)).failureCount;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  if (failed > 0) throw new Error(`ceiling: ${failed} sends failed`);
  return { seconds, messagesPerSecond: messages.length / seconds };
}

export async function measureCeiling({ messages: count, latencyMs, transport = "h2" }) {
  const client = messaging(transport);
  const messages = prebuiltPushes(count, `ceiling-${latencyMs}-${transport}`);
  await setFcmLatency(latencyMs);
  // Warm-up: sockets, and the JIT of this process and of the FCM emulator (1,000 messages were not enough).
  await sendEachRate(client, messages.slice(0, 10 * BATCH), 2);
  const runs = {};
  for (const inFlight of [1, 2]) {
    await clearFcmLog();
    const cpuBefore = cpuSnapshot();
    runs[inFlight] = await sendEachRate(client, messages, inFlight);
    runs[inFlight].cpu = cpuPerMessage(cpuBefore, cpuSnapshot(), messages.length);
    progress(
      `ceiling at ${latencyMs} ms over ${transport}: ${count} messages, ${inFlight} batch(es) in flight: ` +
        `${runs[inFlight].seconds.toFixed(2)} s = ${Math.round(runs[inFlight].messagesPerSecond)} messages/s`,
    );
  }
  await clearFcmLog();
  const best = runs[1].messagesPerSecond >= runs[2].messagesPerSecond ? 1 : 2;
  return {
    transport,
    latency_ms: latencyMs,
    messages: count,
    messages_per_s: round(runs[best].messagesPerSecond),
    batches_in_flight: best,
    messages_per_s_1_in_flight: round(runs[1].messagesPerSecond),
    messages_per_s_2_in_flight: round(runs[2].messagesPerSecond),
    // The better run's, per process (cpu.mjs): `bench` is the client here.
    cpu_us_per_message: runs[best].cpu,
  };
}

/** One `send()` per token, awaited in turn, over a sample of `sample` tokens. */
export async function measureBaseline({ sample, latencyMs }) {
  const client = messaging();
  const messages = prebuiltPushes(sample, `baseline-${latencyMs}`);
  await setFcmLatency(latencyMs);
  for (const message of messages.slice(0, 20)) await client.send(message); // warm-up
  const started = performance.now();
  for (const message of messages) await client.send(message);
  const seconds = (performance.now() - started) / 1000;
  await clearFcmLog();
  const rate = sample / seconds;
  progress(
    `baseline at ${latencyMs} ms: ${sample} sends one after another: ${seconds.toFixed(2)} s = ${Math.round(rate)} messages/s`,
  );
  return { latency_ms: latencyMs, sample, seconds: round(seconds, 2), messages_per_s: round(rate, 1) };
}
