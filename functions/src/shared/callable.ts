import { HttpsError, type CallableRequest } from "firebase-functions/v2/https";
import type { z } from "zod";
import { inputProblems, problemsText } from "./zodIssues";
import { log } from "../log";
import { ENFORCE_APP_CHECK } from "../params";

/** The caller's uid, or `unauthenticated`: every callable of this project needs a signed-in user. */
export function requireUid(request: CallableRequest<unknown>): string {
  const uid = request.auth?.uid;
  if (!uid) throw new HttpsError("unauthenticated", "Sign in first: this function needs a signed-in user.");
  return uid;
}

/**
 * `unauthenticated` unless the request carries a valid App Check token, while ENFORCE_APP_CHECK is true.
 * firebase-functions verifies the `X-Firebase-AppCheck` header and sets `request.app` only for a valid token
 * (a missing or invalid one leaves it undefined, since the SDK's own `enforceAppCheck` stays off). The check is
 * here rather than in that option because the option, given a param, reads it when the code is loaded, which
 * firebase-tools' deploy-time discovery reports as a mistake; here the param is read inside the handler.
 */
export function requireAppCheck(request: CallableRequest<unknown>): void {
  if (ENFORCE_APP_CHECK.value() && !request.app) {
    throw new HttpsError(
      "unauthenticated",
      "This app could not be verified (App Check): update the app, or try again on a device that passes App Check.",
    );
  }
}

/** The request data parsed by `schema`, or `invalid-argument` with a readable message and `details`. */
export function parseRequest<Schema extends z.ZodType>(
  callable: string,
  schema: Schema,
  data: unknown,
): z.infer<Schema> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const problems = inputProblems(parsed.error);
  throw new HttpsError(
    "invalid-argument",
    `Invalid ${callable} request: ${problemsText(problems)}.`,
    problems,
  );
}

/** Runs a callable's work so that only an `HttpsError` ever reaches the client; anything else is logged. */
export async function answering<T>(callable: string, uid: string | null, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HttpsError) throw error;
    log.callableFailed({ callable, uid, error });
    throw new HttpsError("internal", `${callable} failed; try again later.`);
  }
}
