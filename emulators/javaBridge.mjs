// Which Firestore emulator can run on this machine, and the bridge to it. firebase-tools 15 wants Java 21+
// and downloads its own emulator jar at first use; neither holds on an offline machine with Java 17. So the
// harness looks before it leaps:
//   - Java 21+ (a developer's usual machine): firebase-tools' own emulator, as firebase-tools wants it;
//     the Google Cloud CLI's instead when firebase-tools' jar was never downloaded and that one is installed.
//   - Java < 21 with the Google Cloud CLI's Firestore emulator installed (this project's CI machines,
//     offline, Java 17): that jar, through the launcher jar (launcherJar.mjs) and the java-version shim below.
//   - Neither: one message saying what is missing and how to get it.
// It never downloads anything.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { HarnessError, ROOT, SCRATCH, log, writeAtomically } from "./harness.mjs";
import { writeLauncherJar } from "./launcherJar.mjs";

const MIN_FIREBASE_JAVA = 21;

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
      "# Written by emulators/javaBridge.mjs. Answers firebase-tools' Java version probe; everything else is the real java.",
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
 * Decides how the Firestore emulator will run here: what to add to firebase-tools' environment, and a
 * one-line notice saying which emulator it is. Throws a HarnessError when none can run.
 */
export function firestorePlan() {
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
