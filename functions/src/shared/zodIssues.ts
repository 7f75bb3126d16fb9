import type { z } from "zod";

/** One problem with an input, as callables report them in `HttpsError.details`. */
export type InputProblem = { path: string; message: string };

/**
 * The one formatter of zod's issues: `{ path, message }` pairs, one per unknown key, "" as the path of the
 * input itself. Callables send them as `details`; task payloads and settings log them.
 */
export function inputProblems(error: z.ZodError | undefined, under?: string): InputProblem[] {
  return (error?.issues ?? []).flatMap((issue) => {
    const path = [...(under === undefined ? [] : [under]), ...issue.path.map(String)].join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: path ? `${path}.${key}` : key,
        message: "is not a known field",
      }));
    }
    return [{ path, message: issue.message }];
  });
}

/** The problems as one readable sentence: "token must not be empty; platform …". */
export function problemsText(problems: readonly InputProblem[]): string {
  return problems.map(({ path, message }) => (path ? `${path} ${message}` : message)).join("; ");
}
