/**
 * Quiet hours (docs/api.md, "Notification preferences"): a push whose send starts while the recipient's
 * local time, in their IANA time zone, is in `[start, end)` goes out silent. DST is the time zone
 * database's business (`Intl`), so a zone's local time is always its wall-clock time; a span with
 * `end < start` wraps midnight.
 */

/** `{ start, end }` as "HH:MM" (24-hour), `timeZone` an IANA zone name, e.g. "Asia/Seoul". */
export type QuietHours = { start: string; end: string; timeZone: string };

/** "HH:MM", 00:00 to 23:59. */
export const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** An IANA zone name: letters, digits, `_`, `-`, `+` in `/`-separated parts ("UTC", "America/Argentina/Salta"). No offsets. */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** One formatter per zone: building one costs far more than using it, and a fan-out asks for the same few. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * The zone's canonical spelling when `name` is an IANA zone this runtime knows ("asia/seoul" → "Asia/Seoul"),
 * else `undefined` ("Mars/Olympus", "+09:00", "").
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (!ZONE_NAME.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** Minutes since local midnight of `"HH:MM"`. */
function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** The local time in `timeZone` at `ms`, in minutes since midnight. */
export function localMinutes(timeZone: string, ms: number): number {
  let hour = 0;
  let minute = 0;
  for (const part of formatterOf(timeZone).formatToParts(ms)) {
    if (part.type === "hour") hour = Number(part.value);
    else if (part.type === "minute") minute = Number(part.value);
  }
  return (hour % 24) * 60 + minute;
}

/** Whether `ms` falls in the quiet hours, in their time zone. A zone no longer known is never quiet. */
export function isQuietAt(quiet: QuietHours, ms: number): boolean {
  let now: number;
  try {
    now = localMinutes(quiet.timeZone, ms);
  } catch {
    return false;
  }
  return inSpan(quiet, now);
}

/**
 * `isQuietAt` for many recipients at one moment: each time zone's local time worked out once (a page of a
 * fan-out shares a few zones).
 */
export function quietAt(ms: number): (quiet: QuietHours) => boolean {
  const minutesIn = new Map<string, number | undefined>();
  return (quiet) => {
    let now = minutesIn.get(quiet.timeZone);
    if (!minutesIn.has(quiet.timeZone)) {
      try {
        now = localMinutes(quiet.timeZone, ms);
      } catch {
        now = undefined;
      }
      minutesIn.set(quiet.timeZone, now);
    }
    return now !== undefined && inSpan(quiet, now);
  };
}

function inSpan(quiet: QuietHours, now: number): boolean {
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  return start < end ? start <= now && now < end : now >= start || now < end;
}
