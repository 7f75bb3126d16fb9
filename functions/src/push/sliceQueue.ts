/**
 * The Cloud Tasks queue of `sendPushSlice`, through firebase-admin's task-queue client. In the
 * emulator suite the Functions emulator sets `CLOUD_TASKS_EMULATOR_HOST` for every function, and
 * firebase-admin then enqueues to the Cloud Tasks emulator instead (with a fixed "owner" token and an
 * emulated service account, named up front by ../shared/taskQueueApp.ts: no credentials needed).
 */
import { getFunctions } from "firebase-admin/functions";
import { REGION } from "../params";
import { taskQueueApp } from "../shared/taskQueueApp";
import type { SliceQueue } from "./sliceTask";

/** The task-queue function's name as firebase-admin wants it. */
export const SLICE_FUNCTION = `locations/${REGION}/functions/sendPushSlice`;

/**
 * How long Cloud Tasks waits for a slice before it counts the attempt failed and dispatches the task again:
 * past the function's own timeout (300 s), so a slow slice is never run twice at once (the second run would
 * find the slice's gate closed and send nothing, but would still cost an invocation). The Cloud Tasks
 * emulator's default is 60 s.
 */
const DISPATCH_DEADLINE_SECONDS = 330;

/** What firebase-admin throws when a task of that id exists (Cloud Tasks' ALREADY_EXISTS, HTTP 409). */
const TASK_ALREADY_EXISTS = "functions/task-already-exists";

export function sliceQueue(): SliceQueue {
  const queue = getFunctions(taskQueueApp()).taskQueue(SLICE_FUNCTION);
  return {
    async enqueue(task, taskId) {
      try {
        await queue.enqueue(task, { id: taskId, dispatchDeadlineSeconds: DISPATCH_DEADLINE_SECONDS });
        return "enqueued";
      } catch (error) {
        if ((error as { code?: unknown } | null)?.code === TASK_ALREADY_EXISTS) return "duplicate";
        throw error;
      }
    },
  };
}
