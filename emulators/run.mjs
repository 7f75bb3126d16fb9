#!/usr/bin/env node
// The emulator harness behind `npm start`, `npm test` and `npm run emulators:exec -- "<cmd>"`.
//
//   node emulators/run.mjs start          emulators + FCM emulator until Ctrl+C
//   node emulators/run.mjs exec "<cmd>"   the same, runs <cmd>, exits with <cmd>'s status
//
// It starts the Auth, Firestore and Functions emulators through firebase-tools and this project's
// FCM emulator beside them, on the ports of firebase.json and CONTRACT.md. Which Firestore emulator
// it can use depends on the machine, so it looks before it leaps:
//   - Java 21+ (a developer's usual machine): firebase-tools' own emulator, as firebase-tools wants it.
//   - Java < 21 with the Google Cloud CLI's Firestore emulator installed (this project's CI machines,
//     offline, Java 17): that jar, through a launcher jar and a `java -version` shim (see firestorePlan).
//   - Neither: one message saying what is missing and how to get it.
// It never downloads anything itself, and it leaves no process behind: firebase-tools and the FCM
// emulator run in process groups of their own that are stopped, then killed, whatever way the run ends.
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { storedZip } from "./zip.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SCRATCH = path.join(ROOT, ".emulators");
const PROJECT_ID = "demo-push";
const EMULATORS = ["auth", "firestore", "functions", "tasks"];
const FCM_HOST = "127.0.0.1";
const FCM_PORT = 9599;
const MIN_FIREBASE_JAVA = 21;
const STOP_GRACE_MS = 15_000;

class HarnessError extends Error {}

function log(line) {
  process.stderr.write(`[emulators] ${line}\n`);
}

/** The major version `java -version` reports, or null when there is no java on PATH. */
function javaMajorVersion(java) {
  const probe = spawnSync(java, ["-Duser.language=en", "-version"], { encoding: "utf8" });
  if (probe.error) return null;
  const match = /version "([1-9][0-9]*)/.exec(`${probe.stdout}\n${probe.stderr}`);
  return match ? Number(match[1]) : null;
}

function whichJava() {
  const found = spawnSync("sh", ["-c", "command -v java"], { encoding: "utf8" }).stdout.trim();
  return found ? realpathSync(found) : null;
}

function gcloudFirestoreJar() {
  const roots = [
    process.env.CLOUDSDK_ROOT_DIR,
    "/usr/lib/google-cloud-sdk",
    "/usr/share/google-cloud-sdk",
    "/opt/google-cloud-sdk",
    path.join(os.homedir(), "google-cloud-sdk"),
  ].filter(Boolean);
  const candidates = roots.map((root) =>
    path.join(root, "platform", "cloud-firestore-emulator", "cloud-firestore-emulator.jar"),
  );
  return { jar: candidates.find((candidate) => existsSync(candidate)) ?? null, looked: candidates };
}

/** The jar firebase-tools would use, and whether it has already been downloaded. */
function firebaseToolsFirestoreJar() {
  const info = JSON.parse(
    readFileSync(
      path.join(ROOT, "node_modules/firebase-tools/lib/emulator/downloadableEmulatorInfo.json"),
      "utf8",
    ),
  );
  const cacheDir =
    process.env.FIREBASE_EMULATORS_PATH ?? path.join(os.homedir(), ".cache", "firebase", "emulators");
  const jar = path.join(cacheDir, info.firestore.downloadPathRelativeToCacheDir);
  return { jar, cached: existsSync(jar) };
}

/**
 * A jar holding only a manifest, because firebase-tools starts the Firestore emulator with
 * `java -jar <path>` and the gcloud jar names no Main-Class.
 */
function writeLauncherJar(targetJar) {
  const launcher = path.join(SCRATCH, "firestore-launcher.jar");
  const classPath = new URL(`file://${targetJar}`).pathname;
  const jar = storedZip([
    {
      name: "META-INF/MANIFEST.MF",
      lines: [
        "Manifest-Version: 1.0",
        "Main-Class: com.google.cloud.datastore.emulator.firestore.CloudFirestore",
        `Class-Path: ${classPath}`,
        "Created-By: emulators/run.mjs",
      ],
    },
  ]);
  writeAtomically(launcher, jar);
  return launcher;
}

/**
 * firebase-tools 15 refuses Java < 21 after parsing `java -version`, with no switch to skip the check.
 * This `java` answers that one question with 21 and hands every other call to the real java, so the
 * gcloud Firestore emulator (which runs on Java 17) can be used. It is only put on PATH for the
 * firebase-tools process, and only when the gcloud jar is the one in use.
 */
function writeJavaVersionShim(realJava, realMajor) {
  const dir = path.join(SCRATCH, "java-version-shim");
  mkdirSync(dir, { recursive: true });
  const shim = path.join(dir, "java");
  writeAtomically(
    shim,
    [
      "#!/bin/sh",
      "# Written by emulators/run.mjs. Answers firebase-tools' Java version probe; everything else is the real java.",
      'for arg in "$@"; do',
      '  if [ "$arg" = "-version" ]; then',
      `    echo 'openjdk version "21" (java-version-shim: real java is ${realMajor}, running the gcloud Firestore emulator)' >&2`,
      "    exit 0",
      "  fi",
      "done",
      `exec '${realJava}' "$@"`,
      "",
    ].join("\n"),
    0o755,
  );
  return dir;
}

/**
 * Writes `file` by renaming a finished temporary file over it, and only when its content changes: another
 * run starting at the same moment may be executing the old one (a shim being rewritten fails with ETXTBSY).
 */
function writeAtomically(file, content, mode = 0o644) {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, "utf8");
  if (existsSync(file) && readFileSync(file).equals(bytes)) return;
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes, { mode });
  renameSync(temporary, file);
}

/** Decides how the Firestore emulator will run here: environment additions and a notice. */
function firestorePlan() {
  const java = whichJava();
  const major = java ? javaMajorVersion(java) : null;
  const gcloud = gcloudFirestoreJar();
  const firebaseJar = firebaseToolsFirestoreJar();

  if (process.env.FIRESTORE_EMULATOR_BINARY_PATH) {
    return {
      env: {},
      notice: `Firestore emulator: ${process.env.FIRESTORE_EMULATOR_BINARY_PATH} (your setting)`,
    };
  }
  if (major === null) {
    throw new HarnessError(
      [
        "No Java found: the Firestore emulator runs on Java.",
        `Install Java ${MIN_FIREBASE_JAVA} or newer (e.g. 'apt-get install openjdk-21-jre-headless',`,
        "'brew install openjdk@21', or https://adoptium.net), make sure `java` is on PATH, and run again.",
      ].join("\n"),
    );
  }
  if (major >= MIN_FIREBASE_JAVA) {
    if (firebaseJar.cached || !gcloud.jar) {
      const note = firebaseJar.cached
        ? ""
        : " (not cached yet: firebase-tools downloads it once, on this first start)";
      return { env: {}, notice: `Firestore emulator: firebase-tools' own, Java ${major}${note}` };
    }
    // Java is new enough but firebase-tools' jar was never downloaded: use the local one instead of fetching.
    return {
      env: { FIRESTORE_EMULATOR_BINARY_PATH: writeLauncherJar(gcloud.jar) },
      notice: `Firestore emulator: the Google Cloud CLI's (${gcloud.jar}), Java ${major}`,
    };
  }
  if (!gcloud.jar) {
    throw new HarnessError(
      [
        `firebase-tools needs Java ${MIN_FIREBASE_JAVA}+ for its Firestore emulator, and this machine has Java ${major} (${java}).`,
        "The Google Cloud CLI's Firestore emulator, which runs on older Java, was not found either; looked in:",
        ...gcloud.looked.map((candidate) => `  ${candidate}`),
        "Fix one of the two:",
        `  - install Java ${MIN_FIREBASE_JAVA}+ (e.g. 'apt-get install openjdk-21-jre-headless', 'brew install openjdk@21', https://adoptium.net);`,
        "  - or install the gcloud Firestore emulator ('apt-get install google-cloud-cli-firestore-emulator',",
        "    or 'gcloud components install cloud-firestore-emulator'; set CLOUDSDK_ROOT_DIR if it lives elsewhere).",
      ].join("\n"),
    );
  }
  const shimDir = writeJavaVersionShim(java, major);
  log(
    `java-version-shim: Java ${major} found; firebase-tools is shown Java 21 so it accepts the gcloud emulator.`,
  );
  return {
    env: {
      FIRESTORE_EMULATOR_BINARY_PATH: writeLauncherJar(gcloud.jar),
      PATH: `${shimDir}${path.delimiter}${process.env.PATH}`,
    },
    notice: `Firestore emulator: the Google Cloud CLI's (${gcloud.jar}), Java ${major}`,
  };
}

function portIsFree(port, host) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

async function waitForPort(port, host, timeoutMs, child) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new HarnessError(`the FCM emulator exited (code ${child.exitCode})`);
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, host);
      socket.once("connect", () => socket.end(() => resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new HarnessError(`the FCM emulator did not listen on ${host}:${port} within ${timeoutMs} ms`);
}

/** A child in a process group of its own, so that stopping it also stops whatever it started. */
function spawnGroup(command, args, env, stdio = "inherit") {
  return spawn(command, args, { cwd: ROOT, env, stdio, detached: true });
}

/**
 * Copies `stream` to stdout without the functions' DEBUG-severity log lines (firebase-functions logs one
 * per callable request), which would bury a test run's own output. firebase-debug.log keeps everything.
 */
function copyWithoutDebugLogs(stream, onLine) {
  const debugLine = /^>\s+\{.*"severity":"DEBUG"/;
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    const kept = lines.filter((line) => !debugLine.test(line));
    if (kept.length > 0) process.stdout.write(`${kept.join("\n")}\n`);
    kept.forEach(onLine);
  });
  stream.on("end", () => {
    if (pending && !debugLine.test(pending)) process.stdout.write(pending);
  });
}

function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** SIGINT (firebase-tools shuts its emulators down on it), then SIGKILL for anything still there. */
async function stopGroup(child) {
  if (!child) return;
  signalGroup(child, "SIGINT");
  const timer = setTimeout(() => signalGroup(child, "SIGKILL"), STOP_GRACE_MS);
  await exited(child);
  clearTimeout(timer);
  signalGroup(child, "SIGKILL");
}

/**
 * Every process started under `rootPid`, as far as `ps` can tell now. firebase-tools starts the Java
 * emulators in process groups of their own (detached), so stopping its group does not reach them; and a
 * firebase-tools that is killed leaves them to init. So the harness keeps this list while it runs and
 * kills whatever of it is left at the end.
 */
function descendantsOf(rootPid) {
  const listing = spawnSync("ps", ["-A", "-o", "pid=,ppid="], { encoding: "utf8" }).stdout ?? "";
  const children = new Map();
  for (const line of listing.split("\n")) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (!pid || !ppid) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const found = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function watchDescendants(rootPid) {
  const seen = new Set();
  const look = () => descendantsOf(rootPid).forEach((pid) => seen.add(pid));
  const timer = setInterval(look, 2_000);
  timer.unref();
  return {
    /** Stops watching and kills every process seen under `rootPid` that is still alive. */
    killLeftovers() {
      clearInterval(timer);
      look();
      for (const pid of seen) {
        if (!processIsAlive(pid)) continue;
        log(`stopping leftover emulator process ${pid}`);
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone meanwhile
        }
      }
    },
  };
}

async function startFcmEmulator(env) {
  const entry = path.join(ROOT, "fcm-emulator/lib/server.js");
  if (!existsSync(entry)) throw new HarnessError(`${entry} is missing: run 'npm run build' first.`);
  if (!(await portIsFree(FCM_PORT, FCM_HOST))) {
    throw new HarnessError(
      `port ${FCM_PORT} is in use, so the FCM emulator cannot start: is another emulator run still up?`,
    );
  }
  const child = spawnGroup(process.execPath, [entry, "--host", FCM_HOST, "--port", String(FCM_PORT)], env);
  await waitForPort(FCM_PORT, FCM_HOST, 15_000, child);
  return child;
}

/** `npm start`: seeds the demo world (when the project has a seed script), then says what runs where. */
async function whenReady(env) {
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
  // The demo web app (demo-app/): the Web client to try in a browser, beside the emulators.
  const demoApp = await import("../demo-app/server.mjs")
    .then(({ startDemoApp }) => startDemoApp())
    .catch((error) => log(`the demo app did not start: ${error.message}`));
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
      `  Demo web app         ${demoApp?.url ?? "not running"}   (sign in, turn on notifications, comment)`,
      `Try it: npm run demo, in another terminal.`,
      "",
    ].join("\n"),
  );
}

function processIsAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/**
 * One emulator run at a time per checkout (the ports are fixed). A second run says who holds them and
 * stops, or, with EMULATORS_WAIT_SECONDS set, waits that long for its turn.
 */
async function acquireRunLock() {
  const lock = path.join(SCRATCH, "run.lock");
  const waitMs = Number(process.env.EMULATORS_WAIT_SECONDS ?? 0) * 1000;
  const deadline = Date.now() + waitMs;
  let announced = false;
  for (;;) {
    try {
      closeSync(openSync(lock, "wx"));
      writeFileSync(lock, String(process.pid));
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
    }
    const holder = Number(readFileSync(lock, "utf8").trim());
    if (!holder || !processIsAlive(holder)) {
      rmSync(lock, { force: true }); // left by a run that was killed
      continue;
    }
    if (Date.now() >= deadline) {
      throw new HarnessError(
        `another emulator run (pid ${holder}, e.g. npm start) holds the emulator ports: stop it first` +
          (waitMs ? ` (waited ${waitMs / 1000} s)` : ", or set EMULATORS_WAIT_SECONDS to wait for it"),
      );
    }
    if (!announced) log(`waiting for the emulator run of pid ${holder} to finish…`);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function usage() {
  return 'usage: node emulators/run.mjs start | exec "<command>"';
}

async function main() {
  const [mode, ...rest] = process.argv.slice(2);
  const command = rest.join(" ").trim();
  if (mode !== "start" && !(mode === "exec" && command)) throw new HarnessError(usage());

  mkdirSync(SCRATCH, { recursive: true });
  const releaseLock = await acquireRunLock();
  process.on("exit", releaseLock);
  const plan = firestorePlan();
  log(plan.notice);

  const env = {
    ...process.env,
    ...plan.env,
    GCLOUD_PROJECT: PROJECT_ID,
    FCM_EMULATOR_HOST: `${FCM_HOST}:${FCM_PORT}`,
    // Without it the Admin SDK probes the GCE metadata server for credentials and project id.
    METADATA_SERVER_DETECTION: "none",
  };

  let fcm = null;
  let firebase = null;
  let descendants = null;
  let stopping = null;
  const stopAll = () =>
    (stopping ??= Promise.all([stopGroup(firebase), stopGroup(fcm)]).then(() =>
      descendants?.killLeftovers(),
    ));
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => {
      log(`${signal}: stopping the emulators`);
      void stopAll().then(() => process.exit(130));
    });
  }

  try {
    fcm = await startFcmEmulator(env);
    const firebaseBin = path.join(ROOT, "node_modules/firebase-tools/lib/bin/firebase.js");
    const args = [firebaseBin, `emulators:${mode}`, "--project", PROJECT_ID, "--only", EMULATORS.join(",")];
    if (mode === "exec") args.push(command);
    firebase = spawnGroup(process.execPath, args, env, ["inherit", "pipe", "inherit"]);
    descendants = watchDescendants(firebase.pid);
    copyWithoutDebugLogs(firebase.stdout, (line) => {
      if (mode === "start" && line.includes("All emulators ready")) void whenReady(env);
    });
    const code = await new Promise((resolve) => firebase.once("exit", (status) => resolve(status ?? 1)));
    return code;
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
