// Jest setup (every project): each param of functions/src/params.ts set to its declared default unless the
// environment sets it, as a deploy does. Handlers called in-process, and functions driven through
// firebase-functions-test, then read the production values, with no test-only branch in the code.
import { declaredParams } from "firebase-functions/params";
import "../../functions/src/params";

for (const param of declaredParams) {
  const { name } = param;
  const fallback = (param as { options?: { default?: string | number | boolean } }).options?.default;
  if (process.env[name] === undefined && fallback !== undefined) process.env[name] = String(fallback);
}
