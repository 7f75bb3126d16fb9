// registerDevice at every app start: an unchanged device seen less than a day ago is not written again
// (functions/src/devices/lastSeen.ts), through the callable as an app calls it.
import { Timestamp } from "firebase-admin/firestore";
import { registerDevice } from "../support/commentPush";
import { adminDb, closeEmulatorConnections, signedInClient } from "../support/emulators";

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
