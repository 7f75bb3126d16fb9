#!/usr/bin/env node
// The emulator harness behind `npm start`, `npm test` and `npm run emulators:exec -- "<cmd>"`.
//
//   node emulators/run.mjs start          emulators + FCM emulator until Ctrl+C, logs live
//   node emulators/run.mjs exec "<cmd>"   the same, runs <cmd>, exits with <cmd>'s status;
//                                         the emulators' logs go to .emulators/logs/emulators.log
//
// It starts the Auth, Firestore, Functions and Cloud Tasks emulators through firebase-tools
// (`emulators:start`) and this project's FCM emulator beside them, on the ports of firebase.json. In `exec`
// mode it runs <cmd> itself once they are ready, with the variables `firebase emulators:exec` would give it.
// Each job lives in a module of its own:
//   runLock.mjs      one run per checkout (EMULATORS_WAIT_SECONDS to wait for the other one)
//   javaBridge.mjs   which Firestore emulator runs on this machine's Java, and the java-version shim
//   launcherJar.mjs  the manifest-only jar that starts the Google Cloud CLI's Firestore emulator
//   fcmEmulator.mjs  the FCM emulator on 127.0.0.1:9599
//   emulatorLog.mjs  where the emulators' output goes (file, terminal), without DEBUG lines
//   processes.mjs    process groups, and the cleanup that leaves no process behind
// docs/emulators.md explains it for users. It never downloads anything.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { EMULATORS_LOG, logTail, openEmulatorLog, shownLogPath } from "./emulatorLog.mjs";
import { FCM_HOST, FCM_PORT, startFcmEmulator } from "./fcmEmulator.mjs";
import { HarnessError, PROJECT_ID, ROOT, SCRATCH, log } from "./harness.mjs";
import { firestorePlan } from "./javaBridge.mjs";
import { exited, spawnGroup, stopGroup, watchDescendants } from "./processes.mjs";
import { acquireRunLock } from "./runLock.mjs";

const EMULATORS = ["auth", "firestore", "functions", "tasks"];
const READY_LINE = "All emulators ready";

/**
 * Other dev servers started alongside the emulators in `start` mode, once they are ready (after the demo
 * seed). Each runs in a process group of its own with the emulators' environment, its output on the
 * terminal, and is stopped with the emulators; its URL is printed with theirs. Add one entry per server:
 *   { name: "Demo web app", url: "http://127.0.0.1:5173/", command: process.execPath, args: ["<script>"] }
 */
const DEV_SERVERS = [
  // The demo web app (demo-app/, docs/inbox.md): the Web client to try in a browser, beside the emulators.
  {
    name: "Demo web app",
    url: "http://127.0.0.1:5173/   (sign in, turn on notifications, comment)",
    command: process.execPath,
    args: ["demo-app/server.mjs"],
  },
];

/**
 * The environment `firebase emulators:exec` gives its script, built the same way: firebase-tools' own
 * `setEnvVarsForEmulators` over the emulators its hub reports running (FIRESTORE_EMULATOR_HOST,
 * FIREBASE_AUTH_EMULATOR_HOST, FIREBASE_EMULATOR_HUB, CLOUD_TASKS_EMULATOR_HOST, ...), plus FIREBASE_CONFIG.
 */
async function emulatorEnvironment() {
  const { hub } = JSON.parse(readFileSync(path.join(ROOT, "firebase.json"), "utf8")).emulators;
  const response = await fetch(`http://${hub.host}:${hub.port}/emulators`);
  if (!response.ok) throw new HarnessError(`the emulator hub answered HTTP ${response.status}`);
  const running = Object.values(await response.json());
  const { setEnvVarsForEmulators } = createRequire(import.meta.url)(
    path.join(ROOT, "node_modules/firebase-tools/lib/emulator/env.js"),
  );
  const env = {
    FIREBASE_CONFIG:
      process.env.FIREBASE_CONFIG ??
      JSON.stringify({
        projectId: PROJECT_ID,
        storageBucket: `${PROJECT_ID}.appspot.com`,
        databaseURL: `https://${PROJECT_ID}.firebaseio.com`,
      }),
  };
  setEnvVarsForEmulators(env, running);
  return env;
}

/** `npm start`, once the emulators are ready: the demo seed, the dev servers, then what runs where. */
function whenReady(env, started) {
  const seed = path.join(ROOT, "scripts/demo-seed.mjs");
  if (existsSync(seed)) {
    const seeded = spawnSync(process.execPath, [seed], {
      cwd: ROOT,
      stdio: "inherit",
      env: {
        ...env,
        FIRESTORE_EMULATOR_HOST: "127.0.0.1:8080",
        FIREBASE_AUTH_EMULATOR_HOST: "127.0.0.1:9099",
      },
    });
    if (seeded.status !== 0) log(`the demo seed failed (exit ${seeded.status}); the emulators keep running`);
  }
  for (const server of DEV_SERVERS) started.push(spawnGroup(server.command, server.args, env));

  const functionsUrl = `http://127.0.0.1:5001/${PROJECT_ID}/us-central1`;
  process.stdout.write(
    [
      "",
      `Push backend running for project ${PROJECT_ID} (Ctrl+C stops everything):`,
      `  Auth emulator        http://127.0.0.1:9099`,
      `  Firestore emulator   127.0.0.1:8080`,
      `  Functions emulator   ${functionsUrl}/<function>`,
      `  Cloud Tasks emulator 127.0.0.1:9499`,
      `  FCM emulator         http://${FCM_HOST}:${FCM_PORT}   (npm run fcm:messages shows what it received)`,
      `  Push inbox           http://${FCM_HOST}:${FCM_PORT}/   (every push, live, in a browser)`,
      ...DEV_SERVERS.map(({ name, url }) => `  ${name.padEnd(20)} ${url}`),
      `Logs: this terminal, and ${shownLogPath()}.`,
      `Try it: npm run demo, in another terminal.`,
      "",
    ].join("\n"),
  );
}

/** Resolves true when firebase-tools prints that every emulator is ready, false if it exits first. */
function readiness(firebase, emulatorLog, toConsole) {
  return new Promise((resolve) => {
    emulatorLog.copy(firebase.stdout, {
      toConsole,
      onLine: (line) => line.includes(READY_LINE) && resolve(true),
    });
    void exited(firebase).then(() => resolve(false));
  });
}

/**
 * Starts the FCM emulator, then firebase-tools' emulators, into `run` (so that they are stopped whatever
 * happens next). Resolves with null once every emulator is ready, or with firebase-tools' exit code if it
 * stopped before. `live`: their output on the terminal too (start mode).
 */
async function startEmulators(run, env, emulatorLog, live) {
  if (!live) log(`the emulators' and functions' logs go to ${shownLogPath()}`);
  run.fcm = await startFcmEmulator(env, live ? null : emulatorLog);
  const firebaseBin = path.join(ROOT, "node_modules/firebase-tools/lib/bin/firebase.js");
  // callableWorkers.cjs: a burst of callable requests waits for a few workers instead of starting one
  // process each; FUNCTIONS_DISCOVERY_TIMEOUT: a worker slow to start on a busy machine still gets its
  // request (after 30 s, firebase-tools' default, it drops it unanswered). docs/emulators.md.
  const capped = path.join(ROOT, "emulators/callableWorkers.cjs");
  const args = [
    "--require",
    capped,
    firebaseBin,
    "emulators:start",
    "--project",
    PROJECT_ID,
    "--only",
    EMULATORS.join(","),
  ];
  const firebaseEnv = { FUNCTIONS_DISCOVERY_TIMEOUT: "150", ...env };
  run.firebase = spawnGroup(process.execPath, args, firebaseEnv, [
    "inherit",
    "pipe",
    live ? "inherit" : "pipe",
  ]);
  run.descendants = watchDescendants(run.firebase.pid);
  if (!live) emulatorLog.copy(run.firebase.stderr, { toConsole: false });
  if (await readiness(run.firebase, emulatorLog, live)) return null;

  const { code } = await exited(run.firebase);
  if (!live) {
    log(`the emulators stopped before they were ready (exit ${code}); the end of ${shownLogPath()}:`);
    logTail(40).forEach((line) => process.stderr.write(`  ${line}\n`));
  }
  return code || 1;
}

/** `exec`: runs `command` against the running emulators; resolves with its exit status. */
async function runCommand(run, command, env) {
  const commandEnv = { ...env, ...(await emulatorEnvironment()), EMULATORS_LOG };
  log(`running: ${command}`);
  const child = spawnGroup("/bin/sh", ["-c", command], commandEnv);
  run.started.push(child);
  const ended = await Promise.race([
    exited(child).then((result) => ({ who: "command", ...result })),
    exited(run.firebase).then((result) => ({ who: "emulators", ...result })),
  ]);
  if (ended.who === "emulators") {
    log(`the emulators stopped while the command ran (exit ${ended.code}); their log: ${shownLogPath()}`);
    return 1;
  }
  const code = ended.code ?? 1;
  if (code !== 0) {
    log(`the command exited with code ${code}; the emulators' and functions' logs: ${shownLogPath()}`);
  }
  return code;
}

function usage() {
  return 'usage: node emulators/run.mjs start | exec "<command>"';
}

async function main() {
  const [mode, ...rest] = process.argv.slice(2);
  const command = rest.join(" ").trim();
  if (mode !== "start" && !(mode === "exec" && command)) throw new HarnessError(usage());
  const live = mode === "start";

  mkdirSync(SCRATCH, { recursive: true });
  const releaseLock = await acquireRunLock();
  process.on("exit", releaseLock);
  const plan = firestorePlan();
  log(plan.notice);

  const env = {
    ...process.env,
    GCLOUD_PROJECT: PROJECT_ID,
    FCM_EMULATOR_HOST: `${FCM_HOST}:${FCM_PORT}`,
    // Without it the Admin SDK probes the GCE metadata server for credentials and project id.
    METADATA_SERVER_DETECTION: "none",
  };
  const emulatorLog = openEmulatorLog();
  process.on("exit", () => emulatorLog.close());

  /** Everything this run started: `started` is the command of `exec`, or the dev servers of `start`. */
  const run = { fcm: null, firebase: null, descendants: null, started: [] };
  let stopping = null;
  const stopAll = () =>
    (stopping ??= Promise.all([...run.started, run.firebase, run.fcm].map(stopGroup)).then(() =>
      run.descendants?.killLeftovers(),
    ));
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => {
      log(`${signal}: stopping the emulators`);
      void stopAll().then(() => process.exit(130));
    });
  }

  try {
    const notReady = await startEmulators(run, { ...env, ...plan.env }, emulatorLog, live);
    if (notReady !== null) return notReady;
    if (!live) return await runCommand(run, command, env);
    whenReady(env, run.started);
    return (await exited(run.firebase)).code ?? 1;
  } finally {
    await stopAll();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof HarnessError) log(error.message);
    else console.error(error);
    process.exit(1);
  },
);
