// When registerDevice leaves a device doc alone (functions/src/devices/lastSeen.ts).
import { DAY_MS, staleCutoffMillis } from "../../functions/src/prune/cutoff";
import { isRegistrationFresh, lastSeenRefreshMs } from "../../functions/src/devices/lastSeen";

const NOW = Date.parse("2026-11-24T12:00:00Z");
const HOUR_MS = 60 * 60 * 1_000;
const incoming = {
  uid: "alice",
  token: "tok-1",
  platform: "android" as const,
  locale: "ko-KR",
  appVersion: "2.0.0",
};
const stored = { ...incoming, lastSeenMillis: NOW - 60_000 };
/** The default TOKEN_STALE_DAYS, and its smallest allowed value. */
const DEFAULT_REFRESH_MS = lastSeenRefreshMs(30);

describe("isRegistrationFresh", () => {
  it("is fresh when everything is unchanged and the device was seen within the refresh window", () => {
    expect(isRegistrationFresh(stored, incoming, NOW, DEFAULT_REFRESH_MS)).toBe(true);
    expect(
      isRegistrationFresh(
        { ...stored, lastSeenMillis: NOW - DEFAULT_REFRESH_MS + 1 },
        incoming,
        NOW,
        DEFAULT_REFRESH_MS,
      ),
    ).toBe(true);
    expect(
      isRegistrationFresh({ ...stored, lastSeenMillis: NOW + 5_000 }, incoming, NOW, DEFAULT_REFRESH_MS),
    ).toBe(true);
  });

  it("is not fresh once the refresh window has passed since the last write", () => {
    expect(
      isRegistrationFresh(
        { ...stored, lastSeenMillis: NOW - DEFAULT_REFRESH_MS },
        incoming,
        NOW,
        DEFAULT_REFRESH_MS,
      ),
    ).toBe(false);
  });

  it.each([
    ["another owner", { uid: "bob" }],
    ["another platform", { platform: "ios" as const }],
    ["another locale", { locale: "en-US" }],
    ["no locale any more", { locale: null }],
    ["another app version", { appVersion: "2.0.1" }],
  ])("is not fresh with %s", (_, change) => {
    expect(isRegistrationFresh(stored, { ...incoming, ...change }, NOW, DEFAULT_REFRESH_MS)).toBe(false);
  });

  it("is not fresh when the device is marked rejected (re-registering clears the mark)", () => {
    const rejected = { code: "messaging/registration-token-not-registered", at: {} as never };
    expect(isRegistrationFresh({ ...stored, rejected }, incoming, NOW, DEFAULT_REFRESH_MS)).toBe(false);
  });
});

describe("lastSeenRefreshMs: the skip window is a thirtieth of TOKEN_STALE_DAYS, at most a day", () => {
  it("is a day at the default 30 days and never more", () => {
    expect(lastSeenRefreshMs(30)).toBe(DAY_MS);
    expect(lastSeenRefreshMs(365)).toBe(DAY_MS);
    expect(lastSeenRefreshMs(1)).toBe(DAY_MS / 30);
  });

  it.each([1, 2, 7, 30, 90, 365])(
    "with TOKEN_STALE_DAYS=%i a device whose app registered an hour before the prune survives it",
    (staleDays) => {
      // The worst case: the app registered while the doc's lastSeenAt was just inside the skip window, so
      // the doc was left alone, and the prune runs an hour later.
      const refreshMs = lastSeenRefreshMs(staleDays);
      const registeredAt = NOW;
      const lastSeenMillis = registeredAt - refreshMs + 1;
      expect(isRegistrationFresh({ ...stored, lastSeenMillis }, incoming, registeredAt, refreshMs)).toBe(
        true,
      );
      const cutoff = staleCutoffMillis(registeredAt + HOUR_MS, staleDays);
      expect(lastSeenMillis).toBeGreaterThanOrEqual(cutoff);
      // And in general, the prune deletes a device at most a thirtieth of the stale period early.
      expect(refreshMs).toBeLessThanOrEqual((staleDays * DAY_MS) / 30);
    },
  );
});
