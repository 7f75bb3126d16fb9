// The per-user device lists (functions/src/devices/userDevices.ts) against the Firestore emulator: after every
// way a device changes (registered, moved to another user, evicted, marked rejected, unregistered, pruned),
// including calls that race, `userDevices/{uid}` holds exactly the user's `devices` docs, as they are.
import { randomUUID } from "node:crypto";
import { Timestamp } from "firebase-admin/firestore";
import { DeviceStore } from "../../functions/src/devices/deviceStore";
import { DevicePruneStore } from "../../functions/src/devices/devicePruneStore";
import { deviceIdOf } from "../../functions/src/devices/deviceId";
import { seedDevices } from "../../functions/src/devices/seed";
import { adminDb, closeEmulatorConnections, uniqueToken } from "../support/emulators";

const store = () => new DeviceStore(adminDb());
const newUid = (label: string) => `ud-${label}-${randomUUID().slice(0, 8)}`;
const register = (uid: string, token: string) => store().register({ uid, token, platform: "android" });

/** The user's list, as entries by device id; and the ids of the `devices` docs that name the user. */
async function bothViews(uid: string) {
  const list = (await adminDb().doc(`userDevices/${uid}`).get()).get("devices") as
    Record<string, { token: string; rejected?: { code: string } }> | undefined;
  const docs = await adminDb().collection("devices").where("uid", "==", uid).get();
  return {
    listed: Object.keys(list ?? {}).sort(),
    owned: docs.docs.map((doc) => doc.id).sort(),
    list: list ?? {},
    docs: Object.fromEntries(docs.docs.map((doc) => [doc.id, doc.data()])),
  };
}

/** Both views name the same devices, with the same tokens and rejection marks. */
async function expectInStep(uid: string): Promise<string[]> {
  const views = await bothViews(uid);
  expect(views.listed).toEqual(views.owned);
  for (const id of views.owned) {
    expect(views.list[id]?.token).toBe(views.docs[id]?.token);
    expect(views.list[id]?.rejected?.code).toBe((views.docs[id]?.rejected as { code?: string })?.code);
  }
  return views.owned;
}

afterAll(closeEmulatorConnections);

describe("userDevices stays in step with devices", () => {
  it("a token registered by another user moves to them, off the first user's list", async () => {
    const [alice, bob] = [newUid("alice"), newUid("bob")];
    const token = uniqueToken("moving");
    await register(alice, token);
    expect(await expectInStep(alice)).toEqual([deviceIdOf(token)]);
    await register(bob, token);
    expect(await expectInStep(alice)).toEqual([]);
    expect(await expectInStep(bob)).toEqual([deviceIdOf(token)]);
    expect(await store().activeDevicesOf([alice, bob])).toEqual([
      expect.objectContaining({ deviceId: deviceIdOf(token), uid: bob, token }),
    ]);
  });

  it("an 11th device evicts the least recently seen from both views", async () => {
    const uid = newUid("many");
    const tokens = Array.from({ length: 11 }, (_, i) => uniqueToken(`many-${i}`));
    for (const token of tokens) await register(uid, token);
    const kept = await expectInStep(uid);
    expect(kept).toHaveLength(10);
    expect(kept).not.toContain(deviceIdOf(tokens[0] as string));
  });

  it("a rejection mark lands on both, unless the list changed since the fan-out read it", async () => {
    const uid = newUid("marked");
    const [dead, fresh] = [uniqueToken("dead"), uniqueToken("fresh")];
    await register(uid, dead);
    const read = await store().activeDevicesOf([uid]);
    const code = "messaging/registration-token-not-registered";
    // The user registers another device after the fan-out read: the mark from that read is left alone.
    await register(uid, fresh);
    const stale = read.map(({ deviceId, updateTime }) => ({ deviceId, uid, code, updateTime }));
    expect(await store().markRejected(stale)).toMatchObject({ marked: 0, skipped: 1, failed: 0 });
    await expectInStep(uid);
    expect((await bothViews(uid)).list[deviceIdOf(dead)]?.rejected).toBeUndefined();

    const again = (await store().activeDevicesOf([uid])).filter((d) => d.token === dead);
    const marks = again.map(({ deviceId, updateTime }) => ({ deviceId, uid, code, updateTime }));
    expect(await store().markRejected(marks)).toMatchObject({ marked: 1, skipped: 0, failed: 0 });
    await expectInStep(uid);
    expect((await bothViews(uid)).list[deviceIdOf(dead)]?.rejected?.code).toBe(code);
    // Never sent to again; registering it again clears the mark on both.
    expect((await store().activeDevicesOf([uid])).map((d) => d.token)).toEqual([fresh]);
    await register(uid, dead);
    await expectInStep(uid);
    expect((await store().activeDevicesOf([uid])).map((d) => d.token).sort()).toEqual([dead, fresh].sort());
  });

  it("unregistering removes the device from both; another user's token is left alone", async () => {
    const [alice, bob] = [newUid("out"), newUid("other")];
    const [mine, theirs] = [uniqueToken("mine"), uniqueToken("theirs")];
    await register(alice, mine);
    await register(bob, theirs);
    expect(await store().unregister(alice, theirs)).toBe(false);
    expect(await store().unregister(alice, mine)).toBe(true);
    expect(await expectInStep(alice)).toEqual([]);
    expect(await expectInStep(bob)).toEqual([deviceIdOf(theirs)]);
  });

  it("the prune deletes stale devices from both views and keeps a device re-registered meanwhile", async () => {
    const uid = newUid("pruned");
    const old = Timestamp.fromMillis(Date.now() - 40 * 86_400_000);
    const tokens = [uniqueToken("stale-a"), uniqueToken("stale-b"), uniqueToken("stale-c")];
    await seedDevices(
      adminDb(),
      tokens.map((token) => ({ uid, token, platform: "web" as const, createdAt: old, lastSeenAt: old })),
    );
    const prune = new DevicePruneStore(adminDb());
    // The page the prune would read (its projection: lastSeenAt and the owner), these devices only.
    const page = (
      await adminDb().collection("devices").where("uid", "==", uid).select("lastSeenAt", "uid").get()
    ).docs.map((snapshot) => ({ id: snapshot.id, snapshot }));
    expect(page).toHaveLength(3);
    // Seen again between the prune's read and its delete: that device and its entry stay.
    await register(uid, tokens[0] as string);
    const results = await prune.deleter(10_000).deleteUnchanged(page);
    const byId = Object.fromEntries(page.map((d, i) => [d.id, results[i]?.outcome]));
    expect(byId).toEqual({
      [deviceIdOf(tokens[0] as string)]: "changed",
      [deviceIdOf(tokens[1] as string)]: "deleted",
      [deviceIdOf(tokens[2] as string)]: "deleted",
    });
    expect(await expectInStep(uid)).toEqual([deviceIdOf(tokens[0] as string)]);
  });

  it("racing registrations end in step: 20 tokens of one user at once, and one token by two users", async () => {
    const uid = newUid("race");
    const tokens = Array.from({ length: 20 }, (_, i) => uniqueToken(`race-${i}`));
    await Promise.all(tokens.map((token) => register(uid, token)));
    expect(await expectInStep(uid)).toHaveLength(10);

    const [alice, bob] = [newUid("race-a"), newUid("race-b")];
    const shared = uniqueToken("shared");
    await Promise.all(Array.from({ length: 10 }, (_, i) => register(i % 2 === 0 ? alice : bob, shared)));
    const [a, b] = [await expectInStep(alice), await expectInStep(bob)];
    // Exactly one of them holds it: the owner its device doc names.
    expect([...a, ...b]).toEqual([deviceIdOf(shared)]);
  });

  it("50 registrations of one token by two users at once all succeed and end in step", async () => {
    // Through the store, in one process: every call races every other from the first read, so this is
    // contention alone (devices.test.ts drives the same burst through the Functions emulator).
    const [alice, bob] = [newUid("burst-a"), newUid("burst-b")];
    const shared = uniqueToken("burst");
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        store().register({
          uid: i % 2 === 0 ? alice : bob,
          token: shared,
          platform: i % 2 === 0 ? "android" : "ios",
        }),
      ),
    );
    expect(results.filter((result) => result.status === "rejected")).toEqual([]);
    const [a, b] = [await expectInStep(alice), await expectInStep(bob)];
    expect([...a, ...b]).toEqual([deviceIdOf(shared)]);
  });
});
