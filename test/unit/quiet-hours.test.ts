import {
  canonicalTimeZone,
  isQuietAt,
  localMinutes,
  quietAt,
} from "../../functions/src/notifications/quietHours";
import { silenced } from "../../functions/src/push/domain/quiet";
import { platformBlocks, type PushMessage } from "../../functions/src/push/domain/message";

const at = (iso: string) => Date.parse(iso);

describe("quiet hours", () => {
  it("reads the local time of the zone, not the server's", () => {
    // 2026-12-05 14:30 UTC is 23:30 in Seoul (UTC+9, no DST) and 09:30 in New York (EST).
    expect(localMinutes("Asia/Seoul", at("2026-12-05T14:30:00Z"))).toBe(23 * 60 + 30);
    expect(localMinutes("America/New_York", at("2026-12-05T14:30:00Z"))).toBe(9 * 60 + 30);
  });

  it("holds from start (included) to end (excluded)", () => {
    const quiet = { start: "22:00", end: "23:00", timeZone: "Asia/Seoul" };
    expect(isQuietAt(quiet, at("2026-12-05T12:59:59Z"))).toBe(false); // 21:59:59
    expect(isQuietAt(quiet, at("2026-12-05T13:00:00Z"))).toBe(true); // 22:00
    expect(isQuietAt(quiet, at("2026-12-05T13:59:59Z"))).toBe(true); // 22:59:59
    expect(isQuietAt(quiet, at("2026-12-05T14:00:00Z"))).toBe(false); // 23:00
  });

  it("wraps midnight when end is before start", () => {
    const quiet = { start: "22:00", end: "07:00", timeZone: "Asia/Seoul" };
    expect(isQuietAt(quiet, at("2026-12-05T14:30:00Z"))).toBe(true); // 23:30
    expect(isQuietAt(quiet, at("2026-12-05T16:00:00Z"))).toBe(true); // 01:00
    expect(isQuietAt(quiet, at("2026-12-05T21:59:00Z"))).toBe(true); // 06:59
    expect(isQuietAt(quiet, at("2026-12-05T22:00:00Z"))).toBe(false); // 07:00
    expect(isQuietAt(quiet, at("2026-12-05T03:00:00Z"))).toBe(false); // 12:00
  });

  it("follows daylight saving time: the same local hours move in UTC", () => {
    const quiet = { start: "08:00", end: "09:00", timeZone: "America/New_York" };
    // Summer (EDT, UTC-4): 08:30 local is 12:30 UTC. Winter (EST, UTC-5): 13:30 UTC.
    expect(isQuietAt(quiet, at("2026-07-01T12:30:00Z"))).toBe(true);
    expect(isQuietAt(quiet, at("2026-07-01T13:30:00Z"))).toBe(false);
    expect(isQuietAt(quiet, at("2026-12-01T12:30:00Z"))).toBe(false);
    expect(isQuietAt(quiet, at("2026-12-01T13:30:00Z"))).toBe(true);
    // The night the clocks go forward (2026-03-08, 02:00 → 03:00): 01:59 EST, then 03:00 EDT.
    const night = { start: "01:00", end: "03:00", timeZone: "America/New_York" };
    expect(isQuietAt(night, at("2026-03-08T06:59:00Z"))).toBe(true); // 01:59 EST
    expect(isQuietAt(night, at("2026-03-08T07:00:00Z"))).toBe(false); // 03:00 EDT
  });

  it("works one zone out once for many recipients at one moment", () => {
    const isQuiet = quietAt(at("2026-12-05T14:30:00Z"));
    expect(isQuiet({ start: "23:00", end: "00:00", timeZone: "Asia/Seoul" })).toBe(true);
    expect(isQuiet({ start: "09:00", end: "10:00", timeZone: "America/New_York" })).toBe(true);
    expect(isQuiet({ start: "10:00", end: "11:00", timeZone: "America/New_York" })).toBe(false);
  });

  it("knows IANA zones by name, in their canonical spelling, and nothing else", () => {
    expect(canonicalTimeZone("Asia/Seoul")).toBe("Asia/Seoul");
    expect(canonicalTimeZone("asia/seoul")).toBe("Asia/Seoul");
    expect(canonicalTimeZone("UTC")).toBe("UTC");
    expect(canonicalTimeZone("America/Argentina/Salta")).toBe("America/Argentina/Salta");
    for (const bad of ["Mars/Olympus", "+09:00", "", "Asia/", "GMT+9 ", "Asia/Seoul\n"]) {
      expect(canonicalTimeZone(bad)).toBeUndefined();
    }
  });
});

describe("a silenced push", () => {
  const message: PushMessage = {
    token: "t",
    notification: { title: "Mina commented", body: "Hi" },
    data: { type: "comment", postId: "p" },
    ...platformBlocks({ channelId: "comments", tag: "p", threadId: "p", collapseId: "c" }, 60, 0),
  };
  message.apns.payload.aps.sound = "default";

  it("is silent on every platform, and says so in its data", () => {
    const quiet = silenced(message);
    expect(quiet.data).toEqual({ type: "comment", postId: "p", quiet: "true" });
    expect(quiet.android.notification).toEqual({
      channelId: "quiet",
      tag: "p",
      priority: "low",
    });
    expect(quiet.apns.payload.aps).toEqual({ "thread-id": "p", "interruption-level": "passive" });
    expect(quiet.webpush.notification).toEqual({ silent: true });
  });

  it("keeps its texts, collapse keys and TTLs, and leaves the original as it was", () => {
    const quiet = silenced(message);
    expect(quiet.notification).toEqual(message.notification);
    expect(quiet.android.collapseKey).toBe(message.android.collapseKey);
    expect(quiet.android.ttl).toBe(message.android.ttl);
    expect(quiet.apns.headers).toEqual(message.apns.headers);
    expect(quiet.webpush.headers).toEqual(message.webpush.headers);
    expect(message.data.quiet).toBeUndefined();
    expect(message.apns.payload.aps.sound).toBe("default");
    expect(message.android.notification.channelId).toBe("comments");
  });
});
