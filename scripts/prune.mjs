// `npm run prune`: runs the scheduled `pruneDevices` once, now, against the running emulators (`npm start`
// in another terminal), and prints how many devices it removed. The function's own log line
// ("devices pruned: N stale, N rejected, N skipped ...") appears in the emulators' output.
//
// A v2 schedule runs in the Functions emulator on a plain POST to its `-0` URL (Pub/Sub does not: see
// docs/emulators.md). In production, force a run of the Cloud Scheduler job instead:
//   gcloud scheduler jobs run firebase-schedule-pruneDevices-us-central1 --location=us-central1
//
// Reads GCLOUD_PROJECT (default demo-push), FUNCTIONS_EMULATOR_HOST (default 127.0.0.1:5001) and
// FIRESTORE_EMULATOR_HOST (default 127.0.0.1:8080).
import { listening } from "./listening.mjs";

const project = process.env.GCLOUD_PROJECT || "demo-push";
const functionsHost = process.env.FUNCTIONS_EMULATOR_HOST || "127.0.0.1:5001";
process.env.FIRESTORE_EMULATOR_HOST ||= "127.0.0.1:8080";
const firestoreHost = process.env.FIRESTORE_EMULATOR_HOST;
const url = `http://${functionsHost}/${project}/us-central1/pruneDevices-0`;

const down = [];
if (!(await listening(functionsHost))) down.push(`Functions emulator (${functionsHost})`);
if (!(await listening(firestoreHost))) down.push(`Firestore emulator (${firestoreHost})`);
if (down.length > 0) {
  console.error(
    `The emulators are not running: nothing listens for the ${down.join(" or the ")}.\n` +
      "Start them with `npm start` in another terminal, wait for 'All emulators ready', then run `npm run prune` again.",
  );
  process.exit(1);
}

const { initializeApp, deleteApp } = await import("firebase-admin/app");
const { getFirestore } = await import("firebase-admin/firestore");
const app = initializeApp({ projectId: project }, "prune-script");
const devices = getFirestore(app).collection("devices");
const count = async () => (await devices.count().get()).data().count;

let status = 0;
try {
  const before = await count();
  const started = performance.now();
  const response = await fetch(url, { method: "POST" });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (response.status === 404) {
    console.error(
      `pruneDevices is not loaded in the Functions emulator (404 from ${url}).\n` +
        "Build the functions (`npm run build`) and restart the emulators (`npm start`).",
    );
    status = 1;
  } else if (!response.ok) {
    console.error(
      `pruneDevices failed after ${seconds} s (HTTP ${response.status}): the emulators' output says why ` +
        "(e.g. 'prune not run: TOKEN_STALE_DAYS must be ...' or 'prune: N deletes failed').",
    );
    status = 1;
  } else {
    const after = await count();
    console.log(
      `pruneDevices ran in ${seconds} s: devices ${before} -> ${after} (${before - after} removed).\n` +
        "The count by reason (stale, rejected, skipped) is in the emulators' output: 'devices pruned: ...'.",
    );
  }
} finally {
  await deleteApp(app);
}
process.exit(status);
