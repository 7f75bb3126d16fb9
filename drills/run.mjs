#!/usr/bin/env node
// The crash drills (docs/delivery.md, "Crash drills"): `npm run drills` runs them inside the emulator
// harness. Each drill runs the comment trigger's handler in a child process (drills/child.mjs), kills it
// for real where the drill says (SIGKILL at a crash point), runs the retry in a new child, and asserts how
// many pushes each device received (the FCM emulator's log) and what the delivery record says. Slices run
// in the Functions emulator, dispatched by the Cloud Tasks emulator. Ends with `N passed, N failed`.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import { feedProblems, feedState } from "./feed.mjs";
import { arrangePost, db, delivery, eventually, pushesPerToken, sleep, tally } from "./world.mjs";

const require = createRequire(import.meta.url);
const FUNCTIONS_DIR = new URL("../functions", import.meta.url).pathname;
const FCM = `http://${process.env.FCM_EMULATOR_HOST ?? "127.0.0.1:9599"}`;

/**
 * The Functions emulator's worker processes that run `target` for this checkout: the processes a Cloud
 * Functions instance would be. Found by their environment (FUNCTION_TARGET) and working directory.
 */
function functionWorkers(target) {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (!environ.includes(`FUNCTION_TARGET=${target}`)) continue;
      if (readlinkSync(`/proc/${entry}/cwd`) !== FUNCTIONS_DIR) continue;
      pids.push(Number(entry));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return pids;
}

async function setFcmLatency(ms) {
  await fetch(`${FCM}/emulator/v1/latency`, {
    method: ms > 0 ? "PUT" : "DELETE",
    headers: { "content-type": "application/json" },
    body: ms > 0 ? JSON.stringify({ ms }) : undefined,
  });
}

/** One sweep in this process, its clock `aheadMs` in the future (the sweeper a while later). */
async function sweepAhead(aheadMs) {
  const { SweepStore } = require("../functions/lib/push/store/sweepStore.js");
  const { DeliveryStore, MAX_GATE_ATTEMPTS } = require("../functions/lib/push/store/deliveryStore.js");
  const { sweepDeliveries } = require("../functions/lib/push/sweepDeliveries.js");
  const deliveries = new DeliveryStore(db, { maxAttempts: MAX_GATE_ATTEMPTS, leaseMs: 0 });
  return sweepDeliveries({ store: new SweepStore(db, deliveries), now: () => Date.now() + aheadMs });
}

const LEASE_MS = 2_000;
const CHILD = new URL("./child.mjs", import.meta.url).pathname;
const TASKS_HOST = process.env.CLOUD_TASKS_EMULATOR_HOST ?? "127.0.0.1:9499";

/**
 * Runs the trigger's handler once in a child; resolves with its exit and its one JSON line. `started(child)`
 * is told the child once it is spawned (a drill that kills it itself).
 */
function runTrigger(event, { crashAt, threshold = 1_000_000, tasksHost = TASKS_HOST, started } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, JSON.stringify({ event, leaseMs: LEASE_MS, threshold })], {
      env: {
        ...process.env,
        CLOUD_TASKS_EMULATOR_HOST: tasksHost,
        ...(crashAt ? { PUSH_CRASH_AT: crashAt } : { PUSH_CRASH_AT: "" }),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    started?.(child);
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (err += chunk));
    child.on("exit", (code, signal) => {
      const line = out.trim().split("\n").pop() ?? "";
      let result;
      try {
        result = JSON.parse(line);
      } catch {
        result = undefined;
      }
      resolve({ code, signal, result, stderr: err.slice(-2_000) });
    });
  });
}

/**
 * A Cloud Tasks stand-in in front of the Cloud Tasks emulator: `decide({ count, taskName })` says, for each
 * enqueue request, "forward", or an answer to give instead ({ status, error }), or "forward-then" an answer
 * (the task is created, the caller is told it failed: an enqueue that went through but timed out).
 */
async function tasksProxy(decide) {
  let count = 0;
  const seen = [];
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on("data", (c) => chunks.push(c));
    request.on("end", async () => {
      const body = Buffer.concat(chunks);
      let taskName = "";
      try {
        taskName = JSON.parse(body.toString("utf8"))?.task?.name ?? "";
      } catch {
        /* not an enqueue */
      }
      count++;
      const decision = decide({ count, taskName, method: request.method });
      seen.push({ count, taskName, decision: decision.kind });
      const answer = (status, statusText) => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(
          JSON.stringify({ error: { code: status, status: statusText, message: `drill: ${statusText}` } }),
        );
      };
      if (decision.kind === "answer") return answer(decision.status, decision.statusText);
      // Never answered: the caller waits until it is killed (an enqueue in flight at the crash).
      if (decision.kind === "hang") return undefined;
      const headers = {};
      for (const name of ["content-type", "authorization"]) {
        if (request.headers[name]) headers[name] = request.headers[name];
      }
      const forwarded = await fetch(`http://${TASKS_HOST}${request.url}`, {
        method: request.method,
        headers,
        body: request.method === "GET" || request.method === "HEAD" ? undefined : body,
      });
      const text = await forwarded.text();
      if (decision.kind === "forward-then") return answer(decision.status, decision.statusText);
      response.writeHead(forwarded.status, {
        "content-type": forwarded.headers.get("content-type") ?? "application/json",
      });
      response.end(text);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    host: `127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function sweep() {
  const response = await fetch("http://127.0.0.1:5001/demo-push/us-central1/sweepDeliveries-0", {
    method: "POST",
  });
  check(response.ok, `sweepDeliveries-0 answered HTTP ${response.status}`);
}

const drills = [
  {
    name: "killed after the gate, before sending: the retry delivers, once",
    async run() {
      const { tokens, event } = await arrangePost({ followers: 20, devicesEach: 1 });
      const first = await runTrigger(event, { crashAt: "after-gate" });
      check(first.signal === "SIGKILL", `the first run was not killed (exit ${first.code}, ${first.signal})`);
      const held = await delivery(event.id);
      check(
        held?.status === "sending" && held.sendStarted === false,
        `after the kill: ${JSON.stringify(held)}`,
      );
      // A retry inside the dead run's lease is asked to come back later (Eventarc would), not dropped.
      const early = await runTrigger(event);
      check(
        early.result?.name === "DeliveryLeasedError",
        `a retry inside the lease: ${JSON.stringify(early.result)}`,
      );
      await sleep(LEASE_MS + 200);
      const retry = await runTrigger(event);
      check(
        retry.result?.outcome?.kind === "delivered",
        `the retry: ${JSON.stringify(retry.result)} ${retry.stderr}`,
      );
      const counts = tally(await pushesPerToken(tokens));
      check(
        counts.once === 20 && counts.zero === 0 && counts.more === 0,
        `pushes per device: ${JSON.stringify(counts)}`,
      );
      const record = await delivery(event.id);
      check(
        record.status === "done" && record.sent === 20 && record.attempts === 2,
        `record: ${JSON.stringify(record)}`,
      );
    },
  },
  {
    name: "killed in the middle of sending: no device gets two, the record tells what is unknown",
    async run() {
      const { tokens, event } = await arrangePost({ followers: 120, devicesEach: 10 });
      const first = await runTrigger(event, { crashAt: "sent-batch:1" });
      check(first.signal === "SIGKILL", `the first run was not killed (exit ${first.code}, ${first.signal})`);
      await sleep(LEASE_MS + 200);
      const retry = await runTrigger(event);
      check(retry.result?.outcome?.kind === "already-handled", `the retry: ${JSON.stringify(retry.result)}`);
      await sweep();
      const counts = tally(await pushesPerToken(tokens));
      check(counts.more === 0, `a device got two pushes: ${JSON.stringify(counts)}`);
      check(counts.once >= 500, `the first batch did not arrive: ${JSON.stringify(counts)}`);
      const record = await eventually(
        () => delivery(event.id),
        (d) => d?.status !== "sending",
        20_000,
      );
      // The audience is streamed: each page is counted into the record before it is sent, so `unknown` (the
      // messages whose fate the sweeper cannot know) covers at least every push that arrived, and at most
      // the whole audience.
      check(
        record.status === "failed" &&
          record.unknown >= counts.once &&
          record.unknown <= 1200 &&
          /unknown/.test(record.error ?? ""),
        `record: ${JSON.stringify({ ...record, content: undefined })}`,
      );
      return `${counts.once} devices got the push before the kill, ${counts.zero} never will; the record says ${record.unknown} unknown`;
    },
  },
  {
    name: "killed in the middle of enqueueing slices: the retry enqueues the rest, every device once",
    async run() {
      // 1,600 devices: 4 slices of whole followers (500, 500, 500, 100). Slices 0 and 1 are enqueued; the
      // enqueues of 2 and 3 are still in flight when the run is killed.
      const { tokens, event } = await arrangePost({ followers: 160, devicesEach: 10 });
      const proxy = await tasksProxy(({ taskName }) =>
        /-[01]$/.test(taskName) ? { kind: "forward" } : { kind: "hang" },
      );
      let first;
      try {
        first = await runTrigger(event, { crashAt: "enqueue:2", threshold: 5, tasksHost: proxy.host });
      } finally {
        await proxy.close();
      }
      check(first.signal === "SIGKILL", `the first run was not killed (exit ${first.code}, ${first.signal})`);
      const held = await delivery(event.id);
      check(
        held?.enqueueing === true && held.slices === 4,
        `after the kill: ${JSON.stringify({ ...held, content: undefined })}`,
      );
      await sleep(LEASE_MS + 200);
      const retry = await runTrigger(event, { threshold: 5 });
      check(
        retry.result?.outcome?.kind === "enqueued",
        `the retry: ${JSON.stringify(retry.result)} ${retry.stderr}`,
      );
      const record = await eventually(
        () => delivery(event.id),
        (d) => d?.status !== "sending",
        120_000,
      );
      const counts = tally(await pushesPerToken(tokens));
      check(counts.once === 1600 && counts.more === 0, `pushes per device: ${JSON.stringify(counts)}`);
      check(
        record.status === "done" &&
          record.sent === 1600 &&
          record.slicesDone === 4 &&
          record.enqueueing === false,
        `record: ${JSON.stringify({ ...record, content: undefined })}`,
      );
    },
  },
  {
    name: "enqueue answered 429, then 200: every device once",
    async run() {
      const { tokens, event } = await arrangePost({ followers: 60, devicesEach: 10 });
      const proxy = await tasksProxy(({ count }) =>
        count === 1 ? { kind: "answer", status: 429, statusText: "RESOURCE_EXHAUSTED" } : { kind: "forward" },
      );
      try {
        const run = await runTrigger(event, { threshold: 5, tasksHost: proxy.host });
        check(
          run.result?.outcome?.kind === "enqueued" && run.result.outcome.notEnqueued === 0,
          `run: ${JSON.stringify(run.result)} ${run.stderr}`,
        );
        check(proxy.seen[0]?.decision === "answer", "the proxy never answered 429");
      } finally {
        await proxy.close();
      }
      const record = await eventually(
        () => delivery(event.id),
        (d) => d?.status !== "sending",
        120_000,
      );
      const counts = tally(await pushesPerToken(tokens));
      check(counts.once === 600 && counts.more === 0, `pushes per device: ${JSON.stringify(counts)}`);
      check(
        record.status === "done" && record.sent === 600,
        `record: ${JSON.stringify({ ...record, content: undefined })}`,
      );
    },
  },
  {
    name: "a slice reported not enqueued whose task does run: counted once",
    async run() {
      const { tokens, event } = await arrangePost({ followers: 60, devicesEach: 10 });
      // Slice 1's enqueue goes through, but every answer about it says 500: after its retries the trigger
      // gives it up as not enqueued, while the Cloud Tasks emulator dispatches the task it did create.
      const proxy = await tasksProxy(({ taskName }) =>
        /-1$/.test(taskName)
          ? { kind: "forward-then", status: 500, statusText: "INTERNAL" }
          : { kind: "forward" },
      );
      let run;
      try {
        run = await runTrigger(event, { threshold: 5, tasksHost: proxy.host });
      } finally {
        await proxy.close();
      }
      check(run.result?.outcome?.notEnqueued === 1, `run: ${JSON.stringify(run.result)} ${run.stderr}`);
      const record = await eventually(
        () => delivery(event.id),
        (d) => d?.status !== "sending",
        120_000,
      );
      await sleep(3_000); // let a late task finish, if it was going to count the slice again
      const after = await delivery(event.id);
      const counts = tally(await pushesPerToken(tokens));
      check(counts.more === 0, `a device got two pushes: ${JSON.stringify(counts)}`);
      check(
        after.slicesDone === 2 &&
          after.tokens === 600 &&
          after.sent + after.failed === 600 &&
          after.sent === counts.once,
        `counted twice or not at all: ${JSON.stringify({ ...after, content: undefined })}`,
      );
      check(record.status !== "sending", "the delivery never ended");
      return `slice 1 was counted once, by ${after.failed === 0 ? "its task (it ran first)" : "the trigger (the task found it counted and sent nothing)"}`;
    },
  },
  {
    name: "the Functions emulator's slice workers killed in the middle of a fan-out: no device gets two",
    async run() {
      const { tokens, event } = await arrangePost({ followers: 120, devicesEach: 10 });
      // FCM answers slowly, so the slices are caught with their requests out and their answers not back.
      await setFcmLatency(4_000);
      let killed = [];
      try {
        const run = await runTrigger(event, { threshold: 5 });
        check(run.result?.outcome?.kind === "enqueued", `run: ${JSON.stringify(run.result)} ${run.stderr}`);
        const slices = db.collection(`pushDeliveries/${event.id}/slices`);
        await eventually(
          async () => (await slices.where("sendStarted", "==", true).get()).size,
          (n) => n > 0,
          60_000,
        );
        killed = functionWorkers("sendPushSlice");
        check(killed.length > 0, "no sendPushSlice worker of this checkout was found");
        for (const pid of killed) process.kill(pid, "SIGKILL");
      } finally {
        await setFcmLatency(0);
      }
      // The slices not killed run and end (those not dispatched yet included); the Cloud Tasks emulator
      // retries the killed ones, whose gates refuse (or wait for a lease that outlives the drill).
      const progress = async () => {
        const [record, sending] = await Promise.all([
          delivery(event.id),
          db.collection(`pushDeliveries/${event.id}/slices`).where("status", "==", "sending").get(),
        ]);
        return { done: record?.slicesDone ?? 0, sending: sending.size, slices: record?.slices ?? 0 };
      };
      const settled = await eventually(
        progress,
        (p) => p.slices > 0 && p.done + p.sending === p.slices,
        120_000,
      );
      check(
        settled.done + settled.sending === settled.slices,
        `slices never settled: ${JSON.stringify(settled)}`,
      );
      await sleep(5_000); // the FCM emulator's delayed answers land in its log
      const stuck = await delivery(event.id);
      check(stuck.status === "sending", `the delivery ended although slices died: ${stuck.status}`);
      const summary = await sweepAhead(2 * 3_600_000);
      check(
        summary.swept.some((path) => path.startsWith(`pushDeliveries/${event.id}/slices/`)),
        "nothing swept",
      );
      const record = await delivery(event.id);
      const counts = tally(await pushesPerToken(tokens));
      check(counts.more === 0, `a device got two pushes: ${JSON.stringify(counts)}`);
      check(
        record.status === "failed" &&
          record.slicesDone === record.slices &&
          record.unknown > 0 &&
          record.sent + record.failed + record.rejected + record.unknown === 1200,
        `record: ${JSON.stringify({ ...record, content: undefined })}`,
      );
      return `${killed.length} worker(s) killed; ${counts.once} devices got the push, ${counts.zero} did not; ${record.unknown} recorded unknown`;
    },
  },
];

/**
 * The HTTP/2 connection faults (docs/emulators.md) mid-batch, on a direct delivery (the trigger sends) and on
 * a slice (a task in the Functions emulator sends): a GOAWAY after 50 streams (the rest refused, never
 * processed) and a reset after 50 (the rest lost in flight). Comment pushes are collapse-safe, so the lost
 * ones are sent again: every device ends with exactly one push, or is counted `failed` as unknown when the
 * retries run out; `sent` equals what the FCM emulator logged.
 */
async function armConnectionFault(kind) {
  const response = await fetch(`${FCM}/emulator/v1/faults`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ kind, afterStreams: 50 }),
  });
  check(response.ok, `arming ${kind}: HTTP ${response.status}`);
}

function connectionFaultDrill(kind, via) {
  const sliced = via === "slice";
  return {
    name: `${kind === "goaway" ? "GOAWAY" : "a connection reset"} after 50 streams of a batch, on ${sliced ? "a slice" : "a direct delivery"}: every device once, sent = the emulator's log`,
    async run() {
      const { tokens, event } = await arrangePost({ followers: sliced ? 60 : 30, devicesEach: 10 });
      await armConnectionFault(kind);
      const run = await runTrigger(event, sliced ? { threshold: 5 } : {});
      const expected = sliced ? "enqueued" : "delivered";
      check(run.result?.outcome?.kind === expected, `the run: ${JSON.stringify(run.result)} ${run.stderr}`);
      const record = await eventually(
        () => delivery(event.id),
        (d) => d?.status !== "sending",
        120_000,
      );
      // Slices send after the trigger enqueued them: the fault is used up once the delivery ended.
      const armed = await (await fetch(`${FCM}/emulator/v1/faults`)).json();
      check(armed.connection === undefined, `the fault never struck: ${JSON.stringify(armed)}`);
      const perToken = await pushesPerToken(tokens);
      const counts = tally(perToken);
      const logged = [...perToken.values()].reduce((sum, n) => sum + n, 0);
      const unknown = record.failed ?? 0;
      check(
        counts.more === 0 && counts.once + unknown === tokens.length && counts.zero === unknown,
        `pushes per device: ${JSON.stringify(counts)}, failed (unknown) ${unknown}`,
      );
      check(
        record.status === "done" && record.sent === logged,
        `record: ${JSON.stringify({ ...record, content: undefined })}, logged ${logged}`,
      );
      return `${counts.once} devices pushed once, ${unknown} unknown; sent ${record.sent} = logged ${logged}; ${record.retries ?? 0} resent`;
    },
  };
}

drills.push(
  connectionFaultDrill("goaway", "direct"),
  connectionFaultDrill("reset", "direct"),
  connectionFaultDrill("goaway", "slice"),
  connectionFaultDrill("reset", "slice"),
);

/**
 * The feed under a killed comment delivery (docs/delivery.md, "The feed"): a quarter of the followers have
 * no device (their item is tied to no push), and every fifth already has an older unread item counted in
 * `unread`. The delivery is killed (after its first batch was answered; with its first batch in flight, its
 * items written; in the middle of enqueueing slices), then retried (and swept) as the drills above do.
 * Afterwards, read with the Admin SDK: every recipient sent a push has that delivery's item, nobody has two,
 * and every recipient's `unread` is their number of unread items.
 */
async function arrangeFeedPost({ followers, devicesEach }) {
  const arranged = await arrangePost({
    followers,
    devicesOf: (f) => (f % 4 === 3 ? 0 : devicesEach),
  });
  const { Timestamp, FieldValue } = require("firebase-admin/firestore");
  const olderId = `${arranged.event.id}-older`;
  const batch = db.batch();
  arranged.uids.forEach((uid, f) => {
    if (f % 5 !== 0) return;
    batch.create(db.doc(`notifications/${uid}/items/${olderId}`), {
      kind: "comment",
      title: "An older push",
      body: null,
      data: {},
      createdAt: Timestamp.now(),
      read: false,
    });
    batch.set(db.doc(`notifications/${uid}`), { unread: FieldValue.increment(1) }, { merge: true });
  });
  await batch.commit();
  const recipients = [arranged.author, ...arranged.uids];
  const bare = new Set(recipients.filter((uid) => !arranged.devices.some((d) => d.uid === uid)));
  return { ...arranged, olderId, recipients, bare };
}

/** The feed checks after the delivery of `arranged.event`; a line of figures for the drill's note. */
async function checkFeed(arranged) {
  const perToken = await pushesPerToken(arranged.tokens);
  const counts = tally(perToken);
  check(counts.more === 0, `a device got two pushes: ${JSON.stringify(counts)}`);
  const pushed = new Map();
  for (const { uid, token } of arranged.devices) {
    if (perToken.get(token) > 0) pushed.set(uid, [arranged.event.id]);
  }
  const state = await feedState(db, arranged.recipients);
  const found = feedProblems(state, { deliveryIds: [arranged.olderId, arranged.event.id], pushed });
  check(
    found.problems.length === 0,
    `${found.problems.length} feed problems: ${found.problems.slice(0, 5).join("; ")}`,
  );
  const fed = [...state].filter(([, s]) => s.items.some((item) => item.id === arranged.event.id));
  const fedBare = fed.filter(([uid]) => arranged.bare.has(uid)).length;
  return {
    fed: fed.length,
    line:
      `${pushed.size} of ${arranged.recipients.length} recipients pushed (${counts.once} devices once, none twice); ` +
      `${fed.length} have the item (${fedBare} without a device), none two; unread = unread items for all`,
  };
}

drills.push(
  {
    name: "feed: killed after the first batch was answered: pushed ⇒ one item, none twice, unread = unread items",
    async run() {
      // 1,000 followers (750 of 2 devices, 250 of none) and the author: pages of 50, 500 and 451. The first
      // batch is the first page; the pages after the next are not fed when it is answered.
      const arranged = await arrangeFeedPost({ followers: 1000, devicesEach: 2 });
      const { event } = arranged;
      const first = await runTrigger(event, { crashAt: "sent-batch:1" });
      check(first.signal === "SIGKILL", `the first run was not killed (exit ${first.code}, ${first.signal})`);
      await sleep(LEASE_MS + 200);
      const retry = await runTrigger(event);
      check(retry.result?.outcome?.kind === "already-handled", `the retry: ${JSON.stringify(retry.result)}`);
      await sweep();
      const record = await eventually(
        () => delivery(event.id),
        (d) => d?.status !== "sending",
        20_000,
      );
      check(record.status === "failed", `record: ${JSON.stringify(record)}`);
      const { line, fed } = await checkFeed(arranged);
      check(fed < arranged.recipients.length, "every recipient was fed: the kill came too late to matter");
      return line;
    },
  },
  {
    name: "feed: killed with its first batch in flight, its items written: pushed ⇒ one item, unread exact",
    async run() {
      // 120 followers (90 of 2 devices, 30 of none) and the author; FCM answers after 3 s, so the run is
      // killed after its first page's items were committed and while its first batch is out.
      const arranged = await arrangeFeedPost({ followers: 120, devicesEach: 2 });
      const { event } = arranged;
      const itemRefs = arranged.recipients.map((uid) => db.doc(`notifications/${uid}/items/${event.id}`));
      await setFcmLatency(3_000);
      let first;
      let killedAfterItems = 0;
      try {
        first = await runTrigger(event, {
          started: (child) => {
            void (async () => {
              const written = await eventually(
                async () => (await db.getAll(...itemRefs)).filter((s) => s.exists).length,
                (n) => n > 0,
                30_000,
              );
              await sleep(500); // the batch's requests are out
              killedAfterItems = written;
              child.kill("SIGKILL");
            })();
          },
        });
      } finally {
        await setFcmLatency(0);
      }
      check(first.signal === "SIGKILL", `the first run was not killed (exit ${first.code}, ${first.signal})`);
      check(killedAfterItems > 0, "killed before any item was written");
      await sleep(Math.max(LEASE_MS, 3_000) + 1_000); // the in-flight batch lands in the FCM emulator's log
      const retry = await runTrigger(event);
      check(retry.result?.outcome?.kind === "already-handled", `the retry: ${JSON.stringify(retry.result)}`);
      await sweep();
      const record = await eventually(
        () => delivery(event.id),
        (d) => d?.status !== "sending",
        20_000,
      );
      check(record.status === "failed", `record: ${JSON.stringify(record)}`);
      const { line } = await checkFeed(arranged);
      return `killed once ${killedAfterItems} items were written; ${line}`;
    },
  },
  {
    name: "feed: killed in the middle of enqueueing slices, resumed: every recipient with a device one item, unread exact",
    async run() {
      // 200 followers (150 of 10 devices, 50 of none) and the author: 1,500 devices, 3 slices of 500. Slices
      // 0 and 1 are enqueued and write their recipients' items; the run dies with slice 2 in flight; the
      // retry enqueues all again (repeats refused) and slice 2's items are written by its own task.
      const arranged = await arrangeFeedPost({ followers: 200, devicesEach: 10 });
      const { event } = arranged;
      const proxy = await tasksProxy(({ taskName }) =>
        /-[01]$/.test(taskName) ? { kind: "forward" } : { kind: "hang" },
      );
      let first;
      try {
        first = await runTrigger(event, { crashAt: "enqueue:2", threshold: 5, tasksHost: proxy.host });
      } finally {
        await proxy.close();
      }
      check(first.signal === "SIGKILL", `the first run was not killed (exit ${first.code}, ${first.signal})`);
      await sleep(LEASE_MS + 200);
      const retry = await runTrigger(event, { threshold: 5 });
      check(
        retry.result?.outcome?.kind === "enqueued",
        `the retry: ${JSON.stringify(retry.result)} ${retry.stderr}`,
      );
      const record = await eventually(
        () => delivery(event.id),
        (d) => d?.status !== "sending",
        120_000,
      );
      check(
        record.status === "done" && record.sent === arranged.tokens.length,
        `record: ${JSON.stringify({ ...record, content: undefined })}`,
      );
      const { line, fed } = await checkFeed(arranged);
      // Every recipient is in a slice (those without a device too: domain/slices.ts keeps them for their
      // feed items), and every slice ended `done`: each has their item, once.
      check(
        fed === arranged.recipients.length,
        `${fed} fed, of ${arranged.recipients.length} recipients (${arranged.bare.size} without a device)`,
      );
      return `${record.slices} slices; ${line}; all ${arranged.bare.size} without a device have their item too`;
    },
  },
);

async function main() {
  const only = process.argv[2];
  let passed = 0;
  let failed = 0;
  for (const drill of drills) {
    if (only && !drill.name.includes(only)) continue;
    const started = Date.now();
    try {
      const note = await drill.run();
      passed++;
      process.stdout.write(
        `✓ ${drill.name} (${Math.round((Date.now() - started) / 1000)} s)${note ? `\n    ${note}` : ""}\n`,
      );
    } catch (error) {
      failed++;
      process.stdout.write(`✗ ${drill.name}\n    ${String(error?.message ?? error).slice(0, 2_000)}\n`);
    }
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exit(failed === 0 ? 0 : 1);
}

await main();
