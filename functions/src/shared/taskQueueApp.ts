/**
 * The app firebase-admin's task-queue clients enqueue with: the slices' (push/sliceQueue.ts) and the
 * digests' (push/kinds/comment/coalesce/digestQueue.ts).
 *
 * Every task names the service account whose OIDC token Cloud Tasks attaches. Deployed, the default app
 * finds it once (the function's own account, from the metadata server) and firebase-admin keeps it. In the
 * emulator suite (`CLOUD_TASKS_EMULATOR_HOST` set) there is no metadata server: firebase-admin asks it again
 * at every enqueue, waits about 2 s for no answer, and falls back to the emulated account it knows. A
 * delivery through tasks enqueues its slices 10 at a time, so 40 slices waited 4 × 2 s in the trigger and
 * the slices starved between rounds. An app that names the emulated account up front sends the same tasks
 * without asking.
 */
import { getApps, initializeApp, type App } from "firebase-admin/app";
import { adminApp } from "./admin";

/**
 * firebase-admin's name for the service account the Cloud Tasks emulator accepts
 * (`EMULATED_SERVICE_ACCOUNT_DEFAULT` in its functions-api-client-internal.js): what it falls back to anyway.
 */
export const EMULATED_SERVICE_ACCOUNT = "emulated-service-acct@email.com";

const EMULATOR_APP = "task-queues (Cloud Tasks emulator)";

/** The default app when deployed; in the emulator suite, one that names the emulated service account. */
export function taskQueueApp(env: NodeJS.ProcessEnv = process.env): App {
  if (!env.CLOUD_TASKS_EMULATOR_HOST) return adminApp();
  return (
    getApps().find((app) => app.name === EMULATOR_APP) ??
    initializeApp({ ...adminApp().options, serviceAccountId: EMULATED_SERVICE_ACCOUNT }, EMULATOR_APP)
  );
}
