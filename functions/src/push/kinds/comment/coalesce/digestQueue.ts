/**
 * The Cloud Tasks queue of `sendCommentDigest`, through firebase-admin's task-queue client (the Cloud Tasks
 * emulator in the emulator suite: see ../sliceQueue.ts).
 */
import { getFunctions } from "firebase-admin/functions";
import { REGION } from "../../../../params";
import { taskQueueApp } from "../../../../shared/taskQueueApp";
import type { DigestQueue } from "./digestTask";

export const DIGEST_FUNCTION = `locations/${REGION}/functions/sendCommentDigest`;

/** Past the function's own timeout (540 s), so a digest is never dispatched again while it still runs. */
const DISPATCH_DEADLINE_SECONDS = 570;
const TASK_ALREADY_EXISTS = "functions/task-already-exists";

export function digestQueue(): DigestQueue {
  const queue = getFunctions(taskQueueApp()).taskQueue(DIGEST_FUNCTION);
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
