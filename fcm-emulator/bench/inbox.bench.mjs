// How the push inbox copes with a full log: 100,000 attempts recorded, a page of them read through the
// API with and without filters, the page loaded in Debian's chromium, and one new send reaching the open
// page. Runs its own FCM emulator on a free port (no lock needed); needs `npm run build` first.
//
//   node fcm-emulator/bench/inbox.bench.mjs
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const { AttemptLog } = require("../lib/attemptLog.js");
const { DEFAULT_LOG_CAPACITY } = require("../lib/messageLog.js");
const { startFcmEmulator } = require("../lib/server.js");

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value) => `${value.toFixed(1)} ms`;

const log = new AttemptLog();
let started = performance.now();
for (let i = 0; i < DEFAULT_LOG_CAPACITY; i += 1) {
  const rejected = i % 10 === 0;
  log.record({
    project: "demo-push",
    outcome: rejected ? "rejected" : "accepted",
    httpStatus: rejected ? 404 : 200,
    status: rejected ? "UNREGISTERED" : "OK",
    message: {
      token: `token-${i}-${"x".repeat(140)}`,
      notification: { title: `Push ${i}`, body: "A comment about as long as comments are, give or take." },
      data: { type: "comment", postId: `p-${i % 100}`, commentId: `c-${i}`, authorId: "u" },
      android: { notification: { channelId: "comments", tag: `p-${i % 100}` } },
      apns: { payload: { aps: { "thread-id": `p-${i % 100}` } } },
    },
  });
}
console.log(`record ${DEFAULT_LOG_CAPACITY} attempts: ${ms(performance.now() - started)}`);
console.log(`heap used with them: ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`);

const emulator = await startFcmEmulator({ port: 0, attemptLog: log });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
  ],
});
try {
  for (const query of ["", "postId=p-7", "status=UNREGISTERED", "token=99999-x"]) {
    const times = [];
    for (let run = 0; run < 7; run += 1) {
      started = performance.now();
      await (await fetch(`${emulator.url}/emulator/v1/attempts?limit=100&${query}`)).json();
      times.push(performance.now() - started);
    }
    console.log(
      `GET /emulator/v1/attempts?limit=100${query ? `&${query}` : ""}: median ${ms(median(times))}`,
    );
  }

  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const loads = [];
  for (let run = 0; run < 5; run += 1) {
    started = performance.now();
    await page.goto(`${emulator.url}/`);
    await page.locator(".card").first().waitFor();
    loads.push(performance.now() - started);
  }
  console.log(`inbox page, load to first card: median ${ms(median(loads))}`);
  console.log(`cards on the page: ${await page.locator(".card").count()}`);

  started = performance.now();
  const response = await fetch(`${emulator.url}/v1/projects/demo-push/messages:send`, {
    method: "POST",
    headers: { Authorization: "Bearer bench" },
    body: JSON.stringify({
      message: { token: "bench-newest", notification: { title: "Newest", body: "b" } },
    }),
  });
  await response.text();
  await page.locator(".card .title", { hasText: "Newest" }).waitFor();
  console.log(`a send until its card shows on the open page: ${ms(performance.now() - started)}`);
} finally {
  await browser.close();
  await emulator.close();
}
