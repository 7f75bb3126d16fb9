// Loaded into firebase-tools' own process by run.mjs (`node --require`): a cap on the Functions emulator's
// workers per callable function (docs/emulators.md, "A burst of calls").
//
// The emulator runs each request in a worker process of its own and starts a new one (a cold start: the
// Functions SDK, the Admin SDK, the first Firestore connection, about 2 s of CPU) for every request that
// finds none idle. 50 callable requests at once start 50 processes on this machine's cores; when a worker
// is not ready within FUNCTIONS_DISCOVERY_TIMEOUT (30 s) the emulator drops the request unanswered and
// never uses that worker again, so every call ends in the client's `deadline-exceeded`. Production runs
// a callable's concurrent requests in a few instances; here a request that finds none idle waits for one
// once its function has MAX_WORKERS, instead of starting another.
const path = require("node:path");

const MAX_WORKERS = Number(process.env.FUNCTIONS_EMULATOR_CALLABLE_WORKERS || 4);
const POLL_MS = 20;
const LIVE = new Set(["CREATED", "IDLE", "BUSY"]);

const { FunctionsEmulator } = require(
  path.join(__dirname, "../node_modules/firebase-tools/lib/emulator/functionsEmulator.js"),
);
const startRuntime = FunctionsEmulator.prototype.startRuntime;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

FunctionsEmulator.prototype.startRuntime = async function capped(backend, trigger) {
  const pool = this.workerPools?.[backend.codebase];
  const callable = trigger?.labels?.["deployment-callable"] === "true";
  if (!pool || !trigger?.id || !callable) return startRuntime.call(this, backend, trigger);
  for (;;) {
    // Checked and handed over in one tick: the caller submits the request to this worker before any
    // other request is read (an idle worker is taken by the first request that sees it).
    const idle = pool.getIdleWorker(trigger.id, backend.runtime);
    if (idle) return idle;
    const live = pool.getTriggerWorkers(trigger.id, backend.runtime).filter((w) => LIVE.has(w.state));
    if (live.length < MAX_WORKERS) return startRuntime.call(this, backend, trigger);
    await sleep(POLL_MS);
  }
};
