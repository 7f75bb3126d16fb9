import { z } from "zod";

/** A BCP 47 language tag that `Intl` accepts, e.g. "ko-KR", "en", "zh-Hant-TW". */
const localeTag = z
  .string()
  .min(1, "must not be empty")
  .max(35, "must be at most 35 characters")
  .refine((tag) => {
    if (tag === "" || tag.length > 35) return true; // reported by the bounds above
    try {
      return Intl.getCanonicalLocales(tag).length === 1;
    } catch {
      return false;
    }
  }, 'must be a BCP 47 language tag, e.g. "ko-KR"');

/** An FCM registration token as a client sends it: 1..4096 characters without whitespace. */
const fcmToken = z
  .string()
  .min(1, "must not be empty")
  .max(4096, "must be at most 4096 characters")
  .regex(/^\S*$/, "must not contain whitespace");

export const platforms = ["android", "ios", "web"] as const;

export const registerDeviceRequest = z.strictObject({
  token: fcmToken,
  platform: z.enum(platforms),
  locale: localeTag.optional(),
  appVersion: z.string().min(1, "must not be empty").max(64, "must be at most 64 characters").optional(),
});
export type RegisterDeviceRequest = z.infer<typeof registerDeviceRequest>;

export const unregisterDeviceRequest = z.strictObject({
  token: fcmToken,
});
export type UnregisterDeviceRequest = z.infer<typeof unregisterDeviceRequest>;

/** One problem with a request, as callables report them in `HttpsError.details`. */
export type InputProblem = { path: string; message: string };

/** Zod's issues as `{ path, message }` pairs: one per unknown key, "" as the path of the request itself. */
export function inputProblems(error: z.ZodError): InputProblem[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: path ? `${path}.${key}` : key,
        message: "is not a known field",
      }));
    }
    return [{ path, message: issue.message }];
  });
}
