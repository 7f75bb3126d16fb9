// Throughput and memory of the FCM emulator under the product's send pattern: firebase-admin's
// `sendEach` in batches of 500, through the functions' own emulator client (functions/src/messaging.ts).
//
//   npm run build && node bench/fcm-emulator.bench.mjs [--messages 10000] [--rounds 5] [--in-flight 1]
//                                                     [--latency-ms 0] [--keep-log]
//
// The emulator runs as its own process, as under `npm start`, so its RSS is its own. Between rounds the
// log is cleared (unless --keep-log): a steady RSS after the first round means nothing else grows. With
// --keep-log the log fills up to its 100,000-message bound and the RSS must level off there.
import { spawn, execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { once } from "node:events";

const require = createRequire(import.meta.url);
const { emulatorMessaging } = require("../functions/lib/messaging.js");

const BATCH = 500;
const PROJECT = "demo-push";

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}
const total = option("messages", 10_000);
const rounds = option("rounds", 5);
const inFlight = option("in-flight", 1);
const latencyMs = option("latency-ms", 0);
const keepLog = process.argv.includes("--keep-log");

/** The emulator's resident memory in MiB, as the OS sees it. */
function rssMiB(pid) {
  const kib = Number(execFileSync("ps", ["-o", "rss=", "-p", String(pid)], { encoding: "utf8" }).trim());
  return (kib / 1024).toFixed(1);
}

async function startEmulator() {
  const child = spawn(
    process.execPath,
    ["fcm-emulator/lib/server.js", "--port", "0", "--latency-ms", String(latencyMs)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const [line] = await once(child.stdout, "data");
  const url = /listening on (http:\/\/\S+)/.exec(String(line))?.[1];
  if (!url) throw new Error(`unexpected emulator output: ${line}`);
  return { child, url: new URL(url) };
}

function pushFor(n) {
  return {
    token: `bench-device-token-${String(n).padStart(8, "0")}`,
    notification: { title: "Mina commented on your post", body: `Comment number ${n}` },
    data: { type: "comment", postId: `post-${n % 100}`, commentId: `comment-${n}`, authorId: "user-mina" },
    android: { notification: { channelId: "comments", tag: `post-${n % 100}` } },
    apns: { payload: { aps: { threadId: `post-${n % 100}` } } },
  };
}

/** Sends `count` messages in batches of 500, `inFlight` batches at a time; returns the failures. */
async function sendAll(messaging, count, offset) {
  let next = 0;
  let failures = 0;
  async function worker() {
    while (next < count) {
      const start = next;
      next = Math.min(count, next + BATCH);
      const batch = [];
      for (let n = start; n < next; n += 1) batch.push(pushFor(offset + n));
      const result = await messaging.sendEach(batch);
      failures += result.failureCount;
      if (result.failureCount > 0 && failures === result.failureCount) {
        console.error("first failure:", result.responses.find((response) => !response.success)?.error);
      }
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker));
  return failures;
}

const { child, url } = await startEmulator();
const logUrl = `${url.origin}/emulator/v1/projects/${PROJECT}/messages`;
try {
  const messaging = emulatorMessaging({ host: url.hostname, port: Number(url.port) }, PROJECT);
  console.log(
    `FCM emulator bench: ${rounds} × ${total} messages, sendEach batches of ${BATCH}, ${inFlight} in flight, ` +
      `latency ${latencyMs} ms${keepLog ? ", log kept" : ""}`,
  );
  await sendAll(messaging, 4 * BATCH, 0); // warm-up: sockets, JIT
  await fetch(logUrl, { method: "DELETE" });
  console.log(`emulator RSS before: ${rssMiB(child.pid)} MiB`);

  let failed = 0;
  for (let round = 1; round <= rounds; round += 1) {
    const started = performance.now();
    const failures = await sendAll(messaging, total, round * total);
    const seconds = (performance.now() - started) / 1000;
    failed += failures;
    const { messages, dropped } = await (await fetch(logUrl)).json();
    console.log(
      `round ${round}: ${total} messages in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} messages/s, ` +
        `${failures} failed, log ${messages.length} kept / ${dropped} dropped, emulator RSS ${rssMiB(child.pid)} MiB`,
    );
    if (!keepLog) await fetch(logUrl, { method: "DELETE" });
  }
  console.log(`emulator RSS after: ${rssMiB(child.pid)} MiB`);
  process.exitCode = failed === 0 ? 0 : 1;
} finally {
  child.kill("SIGTERM");
}
