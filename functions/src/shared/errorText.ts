/**
 * The one way an error becomes text (a delivery's `error`, a failure sample, a log field): `code: message`
 * when the error carries a code (firebase-admin's `messaging/...`, a gRPC status) that its message does not
 * already start with (Firestore's do: "14 UNAVAILABLE: ..."), else its message. `stack: true` appends the
 * stack frames, for logs.
 */
export function errorText(error: unknown, options: { stack?: boolean } = {}): string {
  if (typeof error !== "object" || error === null) return String(error);
  const { code, message, stack } = error as { code?: unknown; message?: unknown; stack?: unknown };
  const said = typeof message === "string" ? message : JSON.stringify(error);
  const coded =
    (typeof code === "string" || typeof code === "number") && !said.startsWith(`${code} `)
      ? `${code}: ${said}`
      : said;
  if (!options.stack || typeof stack !== "string") return coded;
  const frames = stack.split("\n").filter((line) => /^\s+at /.test(line));
  return [coded, ...frames].join("\n");
}
