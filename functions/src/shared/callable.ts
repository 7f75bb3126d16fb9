import { HttpsError, type CallableRequest } from "firebase-functions/v2/https";
import type { z } from "zod";
import { inputProblems, problemsText } from "./zodIssues";
import { log } from "../log";

/** The caller's uid, or `unauthenticated`: every callable of this project needs a signed-in user. */
export function requireUid(request: CallableRequest<unknown>): string {
  const uid = request.auth?.uid;
  if (!uid) throw new HttpsError("unauthenticated", "Sign in first: this function needs a signed-in user.");
  return uid;
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
