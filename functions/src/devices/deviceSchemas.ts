import { z } from "zod";
import { platforms } from "./platform";

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
