/**
 * The Cloud Tasks queue of `sendCommentDigest`, through firebase-admin's task-queue client (the Cloud Tasks
 * emulator in the emulator suite: see ../sliceQueue.ts).
 */
import { getApps, initializeApp, type App } from "firebase-admin/app";
import { getFunctions } from "firebase-admin/functions";
import { REGION } from "../../../../params";
import { adminApp } from "../../../../shared/admin";
import type { DigestQueue } from "./digestTask";

export const DIGEST_FUNCTION = `locations/${REGION}/functions/sendCommentDigest`;

/** Past the function's own timeout (540 s), so a digest is never dispatched again while it still runs. */
const DISPATCH_DEADLINE_SECONDS = 570;
const TASK_ALREADY_EXISTS = "functions/task-already-exists";

/** firebase-admin's name for the service account the Cloud Tasks emulator accepts. */
const EMULATED_SERVICE_ACCOUNT = "emulated-service-acct@email.com";

/**
 * The app to enqueue with. In the emulator suite (`CLOUD_TASKS_EMULATOR_HOST` set) firebase-admin would
 * ask the metadata server for a service account at every enqueue, and wait 2 s for no answer before
 * falling back to the emulated one: every folded comment would pay that. An app that names the emulated
 * account does not ask. Deployed, the default app finds the real account once and keeps it.
 */
function queueApp(): App {
  if (!process.env.CLOUD_TASKS_EMULATOR_HOST) return adminApp();
  const name = "comment-digest-queue";
  return (
    getApps().find((app) => app.name === name) ??
    initializeApp({ ...adminApp().options, serviceAccountId: EMULATED_SERVICE_ACCOUNT }, name)
  );
}

export function digestQueue(): DigestQueue {
  const queue = getFunctions(queueApp()).taskQueue(DIGEST_FUNCTION);
  return {
    async enqueue(task, taskId, scheduleAt) {
      try {
        await queue.enqueue(task, {
          id: taskId,
          scheduleTime: new Date(scheduleAt),
          dispatchDeadlineSeconds: DISPATCH_DEADLINE_SECONDS,
        });
        return "enqueued";
      } catch (error) {
        if ((error as { code?: unknown } | null)?.code === TASK_ALREADY_EXISTS) return "duplicate";
        throw error;
      }
    },
  };
}
