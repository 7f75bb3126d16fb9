/**
 * The outbox's report on each request, `pushRequests/{requestId}.delivery` (docs/api.md, "The push
 * outbox"), in the manner of firebase/extensions' `firestore-send-email`: `PROCESSING` when a run takes it
 * up, then `SUCCESS` or `ERROR` with the delivery's counts when it ends (directly, or by its last slice).
 */
import type { z } from "zod";
import { lazyFirestore } from "../../../shared/lazyFirestore";
import { inputProblems, problemsText } from "../../../shared/zodIssues";
import type { EndedDelivery } from "../../kind";

export const PUSH_REQUESTS = "pushRequests";

async function update(
  requestId: string,
  fields: (values: typeof import("firebase-admin/firestore")) => object,
) {
  const [db, values] = await Promise.all([lazyFirestore(), import("firebase-admin/firestore")]);
  await db.collection(PUSH_REQUESTS).doc(requestId).update(fields(values));
}

/** A run took the request up (each run counts an attempt). */
export async function requestProcessing(requestId: string): Promise<void> {
  await update(requestId, ({ FieldValue }) => ({
    "delivery.state": "PROCESSING",
    "delivery.startTime": FieldValue.serverTimestamp(),
    "delivery.attempts": FieldValue.increment(1),
  }));
}

/** The request failed validation: `ERROR` naming each problem, nothing sent. Returns the error text. */
export async function requestRefused(requestId: string, error: z.ZodError): Promise<string> {
  const text = problemsText(inputProblems(error));
  await update(requestId, ({ FieldValue }) => ({
    delivery: {
      state: "ERROR",
      startTime: FieldValue.serverTimestamp(),
      endTime: FieldValue.serverTimestamp(),
      attempts: 1,
      error: text,
      counts: { recipients: 0, tokens: 0, sent: 0, failed: 0, rejected: 0 },
    },
  }));
  return text;
}

/** The request's delivery ended: `SUCCESS` when every message went out or its token was rejected, else `ERROR`. */
export async function requestEnded(requestId: string, ended: EndedDelivery): Promise<void> {
  const { recipients, tokens, sent, failed, rejected } = ended.counts;
  await update(requestId, ({ FieldValue }) => ({
    "delivery.state": ended.status === "done" ? "SUCCESS" : "ERROR",
    "delivery.endTime": FieldValue.serverTimestamp(),
    "delivery.counts": { recipients, tokens, sent, failed, rejected },
    ...(ended.error === undefined ? {} : { "delivery.error": ended.error }),
  }));
}
