/**
 * A `pushRequests/{requestId}` doc as the outbox reads it (docs/api.md, "The push outbox"): who gets the
 * push, what it says (a text, or texts by language), its data and preference key. Checked with zod before
 * anything is sent; each problem is named on the request's `delivery.error`.
 */
import { z } from "zod";
import { preferenceKeys } from "../../kind";

/** The most recipients one request may name. */
export const MAX_REQUEST_UIDS = 10_000;
/** Data keys the server writes itself. */
export const RESERVED_DATA_KEYS = ["type", "requestId", "unread", "quiet"] as const;

/** A language tag: BCP 47 (`ko`, `ko-KR`, `zh-Hant-TW`), or `default`. */
const languageTag = z
  .string()
  .regex(/^(default|[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*)$/, "is not a language tag");

/** A string of 1..max characters, or texts by language with a `default`. */
function text(max: number) {
  const one = z.string().min(1).max(max);
  return z.union([
    one,
    z
      .record(languageTag, one)
      .refine((texts) => typeof texts.default === "string", { message: "needs a default text" }),
  ]);
}

const uid = z.string().min(1).max(128);

export const pushRequest = z.strictObject({
  toUids: z
    .array(uid)
    .min(1)
    .max(MAX_REQUEST_UIDS)
    .refine((uids) => new Set(uids).size === uids.length, { message: "has a uid more than once" }),
  title: text(200),
  body: text(1_000).optional(),
  data: z
    .record(z.string().min(1).max(200), z.string().max(1_000))
    .refine((data) => Object.keys(data).length <= 20, { message: "has more than 20 keys" })
    .refine((data) => RESERVED_DATA_KEYS.every((key) => !(key in data)), {
      message: `may not set ${RESERVED_DATA_KEYS.join(", ")} (the server's)`,
    })
    .optional(),
  kind: z.enum(preferenceKeys).optional(),
  collapseKey: z.string().min(1).max(64).optional(),
  /** Written by the server (an earlier run of this request): not part of the request. */
  delivery: z.unknown().optional(),
});
export type PushRequest = z.infer<typeof pushRequest>;
export type Text = PushRequest["title"];

/** The text a locale picks: its exact tag, then its primary language, then `default`. */
export function textFor(value: Text, locale: string | null | undefined): string {
  if (typeof value === "string") return value;
  const tag = (locale ?? "").trim().replace(/_/g, "-");
  const exact = Object.entries(value).find(([key]) => key.toLowerCase() === tag.toLowerCase())?.[1];
  const primary = tag.split("-")[0]?.toLowerCase();
  const byLanguage = Object.entries(value).find(([key]) => key.toLowerCase() === primary)?.[1];
  return exact ?? byLanguage ?? value.default ?? "";
}
