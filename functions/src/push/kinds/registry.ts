/**
 * The registry of push kinds (docs/kinds.md): one line each, the function that delivers the kind. index.ts
 * exports them all; the slice task finds a slice's kind here; `npm run deploy:iam` reads its functions from
 * here. Adding a kind is its own file and one line below.
 */
import * as kindFunctions from "./functions";
import type { AnyPushKind } from "../kind";

/** Every registered kind, by name. */
export const pushKinds: ReadonlyMap<string, AnyPushKind> = new Map(
  Object.values(kindFunctions).map((fn) => [fn.pushKind.name, fn.pushKind]),
);

export function kindNamed(name: string): AnyPushKind | undefined {
  return pushKinds.get(name);
}
