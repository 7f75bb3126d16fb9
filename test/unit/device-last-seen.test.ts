// When registerDevice leaves a device doc alone (functions/src/devices/lastSeen.ts).
import { isRegistrationFresh, LAST_SEEN_REFRESH_MS } from "../../functions/src/devices/lastSeen";

const NOW = Date.parse("2026-11-24T12:00:00Z");
const incoming = {
  uid: "alice",
  token: "tok-1",
  platform: "android" as const,
  locale: "ko-KR",
  appVersion: "2.0.0",
};
const stored = { ...incoming, lastSeenMillis: NOW - 60_000 };

describe("isRegistrationFresh", () => {
  it("is fresh when everything is unchanged and the device was seen less than a day ago", () => {
    expect(isRegistrationFresh(stored, incoming, NOW)).toBe(true);
    expect(
      isRegistrationFresh({ ...stored, lastSeenMillis: NOW - LAST_SEEN_REFRESH_MS + 1 }, incoming, NOW),
    ).toBe(true);
    expect(isRegistrationFresh({ ...stored, lastSeenMillis: NOW + 5_000 }, incoming, NOW)).toBe(true);
  });

  it("is not fresh a day after the last write", () => {
    expect(
      isRegistrationFresh({ ...stored, lastSeenMillis: NOW - LAST_SEEN_REFRESH_MS }, incoming, NOW),
    ).toBe(false);
  });

  it.each([
    ["another owner", { uid: "bob" }],
    ["another platform", { platform: "ios" as const }],
    ["another locale", { locale: "en-US" }],
    ["no locale any more", { locale: null }],
    ["another app version", { appVersion: "2.0.1" }],
  ])("is not fresh with %s", (_, change) => {
    expect(isRegistrationFresh(stored, { ...incoming, ...change }, NOW)).toBe(false);
  });

  it("is not fresh when the device is marked rejected (re-registering clears the mark)", () => {
    const rejected = { code: "messaging/registration-token-not-registered", at: {} as never };
    expect(isRegistrationFresh({ ...stored, rejected }, incoming, NOW)).toBe(false);
  });
});
