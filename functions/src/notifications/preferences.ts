/**
 * Notification preferences (docs/api.md, "Notification preferences"): which kinds of push a user gets, and
 * their quiet hours. Stored on `notifications/{uid}.preferences`, written only by `setNotificationPreferences`
 * (a change is merged into what is stored), read by every fan-out for every recipient.
 */
import { z } from "zod";
import { preferenceKeys, type PreferenceKey } from "../push/kind";
import { canonicalTimeZone, HH_MM, type QuietHours } from "./quietHours";

export type Preferences = { kinds: Record<PreferenceKey, boolean>; quietHours: QuietHours | null };

/** A new user's: every kind on, no quiet hours. */
export function defaultPreferences(): Preferences {
  return { kinds: { comments: true, follows: true, announcements: true }, quietHours: null };
}

const hhmm = z.string().regex(HH_MM, 'must be a 24-hour time "HH:MM", e.g. "22:30"');

const quietHoursRequest = z
  .strictObject({
    start: hhmm,
    end: hhmm,
    timeZone: z
      .string()
      .max(64, "must be at most 64 characters")
      .refine(
        (zone) => canonicalTimeZone(zone) !== undefined,
        'must be an IANA time zone name, e.g. "Asia/Seoul"',
      ),
  })
  .refine((quiet) => quiet.start !== quiet.end, { message: "start and end must differ", path: ["end"] })
  .transform((quiet) => ({ ...quiet, timeZone: canonicalTimeZone(quiet.timeZone) ?? quiet.timeZone }));

/** `setNotificationPreferences`'s request: the switches to change, and quiet hours to set (`null`: none). */
export const setPreferencesRequest = z.strictObject({
  kinds: z
    .strictObject(
      Object.fromEntries(preferenceKeys.map((key) => [key, z.boolean().optional()])) as Record<
        PreferenceKey,
        z.ZodOptional<z.ZodBoolean>
      >,
    )
    .optional(),
  quietHours: quietHoursRequest.nullable().optional(),
});
export type SetPreferencesRequest = z.infer<typeof setPreferencesRequest>;

/** `stored` with the change applied: switches given replace theirs, quiet hours given (or `null`) replace them. */
export function mergePreferences(stored: Preferences, change: SetPreferencesRequest): Preferences {
  const kinds = { ...stored.kinds };
  for (const key of preferenceKeys) {
    const value = change.kinds?.[key];
    if (value !== undefined) kinds[key] = value;
  }
  return { kinds, quietHours: change.quietHours === undefined ? stored.quietHours : change.quietHours };
}

/**
 * Preferences as stored, read leniently: what does not parse (a doc edited by hand) counts as the default,
 * field by field, so one bad doc never fails a fan-out for everybody and never silences anyone.
 */
export function storedPreferences(value: unknown): Preferences {
  const preferences = defaultPreferences();
  if (!isRecord(value)) return preferences;
  if (isRecord(value.kinds)) {
    for (const key of preferenceKeys) {
      if (typeof value.kinds[key] === "boolean") preferences.kinds[key] = value.kinds[key];
    }
  }
  preferences.quietHours = storedQuietHours(value.quietHours);
  return preferences;
}

/** Quiet hours as stored, or `null` when absent or not of the stored shape. */
export function storedQuietHours(value: unknown): QuietHours | null {
  if (!isRecord(value)) return null;
  const { start, end, timeZone } = value;
  if (typeof start !== "string" || typeof end !== "string" || typeof timeZone !== "string") return null;
  if (!HH_MM.test(start) || !HH_MM.test(end) || start === end) return null;
  return { start, end, timeZone };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
