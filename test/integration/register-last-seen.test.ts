// registerDevice at every app start: an unchanged device seen within the skip window (a day at the default
// TOKEN_STALE_DAYS, a thirtieth of it below) is not written again (functions/src/devices/lastSeen.ts),
// through the callable as an app calls it, and in-process where the test needs another TOKEN_STALE_DAYS.
import { randomUUID } from "node:crypto";
import { FieldPath, Timestamp } from "firebase-admin/firestore";
import type { CallableRequest } from "firebase-functions/v2/https";
import { DevicePruneStore } from "../../functions/src/devices/devicePruneStore";
import { handlePruneDevices } from "../../functions/src/functions/pruneDevices";
import { handleRegisterDevice } from "../../functions/src/functions/registerDevice";
import { registerDevice } from "../support/commentPush";
import { adminDb, closeEmulatorConnections, signedInClient, uniqueToken } from "../support/emulators";

afterAll(closeEmulatorConnections);

describe("registerDevice on an app start", () => {
  it("skips the write when nothing changed and the device was seen less than a day ago", async () => {
    const client = await signedInClient();
    const { token, deviceId } = await registerDevice(client, { locale: "en-US" });
    const ref = adminDb().collection("devices").doc(deviceId);
    const first = await ref.get();

    await client.call("registerDevice", { token, platform: "android", locale: "en-US" });
    const second = await ref.get();
    expect(second.updateTime?.isEqual(first.updateTime as Timestamp)).toBe(true);

    // A day-old lastSeenAt is refreshed, and so is any change.
    await ref.update({ lastSeenAt: Timestamp.fromMillis(Date.now() - 25 * 60 * 60 * 1000) });
    await client.call("registerDevice", { token, platform: "android", locale: "en-US" });
    const refreshed = await ref.get();
    expect((refreshed.get("lastSeenAt") as Timestamp).toMillis()).toBeGreaterThan(Date.now() - 60_000);
    await client.call("registerDevice", { token, platform: "android", locale: "ko-KR" });
    const changed = await ref.get();
    expect(changed.updateTime?.isEqual(refreshed.updateTime as Timestamp)).toBe(false);
    expect(changed.data()).toMatchObject({ locale: "ko-KR" });
    await ref.delete();
    await adminDb().collection("users").doc(client.uid).delete();
  });
});

describe("registerDevice and the prune with TOKEN_STALE_DAYS=1 (handlers in-process)", () => {
  const HOUR_MS = 60 * 60 * 1_000;
  const saved = process.env.TOKEN_STALE_DAYS;
  beforeEach(() => {
    process.env.TOKEN_STALE_DAYS = "1";
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.TOKEN_STALE_DAYS;
    else process.env.TOKEN_STALE_DAYS = saved;
  });

  const request = (uid: string, data: unknown): CallableRequest<unknown> =>
    ({
      data,
      auth: { uid, token: {} },
      app: { appId: "1:123:android:last-seen", token: {} },
      rawRequest: {},
    }) as unknown as CallableRequest<unknown>;

  it("keeps a device whose app registered an hour before the prune, last written 23.5 hours before", async () => {
    const uid = `last-seen-${randomUUID()}`;
    const token = uniqueToken("stale1");
    const data = { token, platform: "android", locale: "en-US" };
    const { deviceId } = await handleRegisterDevice(request(uid, data));
    const ref = adminDb().collection("devices").doc(deviceId);
    // Last written 23.5 hours ago (a day's skip window would leave it so), then the app starts again now.
    const now = Date.now();
    const lastWritten = Timestamp.fromMillis(now - 23.5 * HOUR_MS);
    await ref.update({ lastSeenAt: lastWritten });
    await adminDb()
      .collection("userDevices")
      .doc(uid)
      .update(new FieldPath("devices", deviceId, "lastSeenAt"), lastWritten);
    await handleRegisterDevice(request(uid, data));

    // The daily prune, an hour later: the device's app started an hour ago, well inside a day.
    await handlePruneDevices(
      { scheduleTime: new Date(now + HOUR_MS).toISOString(), jobName: "last-seen-test" },
      { now: () => now + HOUR_MS, store: new DevicePruneStore(adminDb()) },
    );
    const kept = await ref.get();
    expect(kept.exists).toBe(true);
    await ref.delete();
    await adminDb().collection("userDevices").doc(uid).delete();
  });
});
