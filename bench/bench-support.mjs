// What the benchmark figures share: the FCM emulator's controls over HTTP, the Admin SDK's Firestore
// against the emulator, batched seeding, statistics and progress lines.
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** The emulators' project (`demo-push-bench` under `npm run bench`; see emulators/harness.mjs). */
export const PROJECT = process.env.GCLOUD_PROJECT || "demo-push";
export const DAY_MS = 86_400_000;
/** FCM tokens are ~160 characters; the bench's are as long, so payloads and documents are realistic. */
export const TOKEN_LENGTH = 163;

/** A progress line on stderr (the figures themselves go to stdout). */
export function progress(line) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

export function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

export function fcmUrl() {
  const host = process.env.FCM_EMULATOR_HOST;
  if (!host) throw new Error("FCM_EMULATOR_HOST is not set: run inside the emulators");
  return `http://${host}`;
}

export function fcmTarget() {
  const [host, port] = process.env.FCM_EMULATOR_HOST.split(":");
  return { host, port: Number(port) };
}

async function fcmControl(method, path, body) {
  const response = await fetch(`${fcmUrl()}${path}`, {
    method,
    headers: { "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`FCM emulator ${method} ${path}: HTTP ${response.status}`);
  return response.json();
}

/** Sets how long the FCM emulator waits before answering each send. */
export const setFcmLatency = (ms) => fcmControl("PUT", "/emulator/v1/latency", { ms });
export const clearFcmLog = () => fcmControl("DELETE", `/emulator/v1/projects/${PROJECT}/messages`);
/** The messages the FCM emulator accepted, in arrival order. */
export async function fcmLog() {
  const { messages } = await fcmControl("GET", `/emulator/v1/projects/${PROJECT}/messages`);
  return messages;
}

/** The Admin SDK's Firestore against the emulator, on an app of its own. */
export function adminFirestore(name) {
  const { initializeApp, deleteApp } = require("firebase-admin/app");
  const { getFirestore } = require("firebase-admin/firestore");
  const app = initializeApp({ projectId: PROJECT }, `${name}-${randomUUID()}`);
  return { db: getFirestore(app), close: () => deleteApp(app) };
}

/** Commits `count` writes, made by `write(batch, i)`, in WriteBatches of 500, `parallel` at a time. */
export async function writeInBatches(db, count, write, parallel = 4, perBatch = 500) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const start = next;
      next = Math.min(count, next + perBatch);
      const batch = db.batch();
      for (let i = start; i < next; i += 1) write(batch, i);
      await batch.commit();
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/** Deletes every document of `query` with an unthrottled BulkWriter; returns how many. */
export async function deleteAll(db, query) {
  const snapshot = await query.select().get();
  const writer = db.bulkWriter({ throttling: false });
  for (const doc of snapshot.docs) void writer.delete(doc.ref);
  await writer.close();
  return snapshot.size;
}

/** A token of realistic length, unique to `label`. */
export function benchToken(label) {
  return `${label}:`.padEnd(TOKEN_LENGTH, "x");
}

export function median(values) {
  return percentile(values, 50);
}

/** The run in the middle by `messages_per_s` (the upper one of the two middle runs of an even count). */
export function medianRun(runs) {
  return [...runs].sort((a, b) => a.messages_per_s - b.messages_per_s)[Math.floor(runs.length / 2)];
}

/** Nearest-rank percentile. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export const round = (value, digits = 0) => Number(value.toFixed(digits));

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `read` every `intervalMs` until it returns something other than undefined. */
export async function waitFor(read, { timeoutMs, intervalMs = 25, what }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** The project `npm run bench` runs as: its emulated database is the bench's alone. */
export const BENCH_PROJECT = "demo-push-bench";

/**
 * Empties the bench project's emulated database (the Firestore emulator's own reset endpoint), so the next
 * part starts from nothing and the emulator lets go of what the last one wrote: deleting a 100,000-recipient
 * world document by document only adds to what it holds (its default heap, a quarter of the machine's
 * memory, filled up over one full run). Only under the bench's own project; elsewhere it does nothing and
 * says so (false), and the caller deletes what it wrote.
 */
export async function resetBenchDatabase() {
  if (PROJECT !== BENCH_PROJECT || !process.env.FIRESTORE_EMULATOR_HOST) return false;
  const url = `http://${process.env.FIRESTORE_EMULATOR_HOST}/emulator/v1/projects/${PROJECT}/databases/(default)/documents`;
  const response = await fetch(url, { method: "DELETE" });
  if (!response.ok) throw new Error(`resetting the bench database: HTTP ${response.status}`);
  return true;
}
