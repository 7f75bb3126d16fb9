// registerDevice and unregisterDevice through the client SDK, against the Auth, Functions and
// Firestore emulators: the same doors a mobile or web app uses.
import { FunctionsError } from "firebase/functions";
import { Timestamp } from "firebase-admin/firestore";
import { deviceIdOf } from "../../functions/src/devices/deviceId";
import {
  adminDb,
  anonymousClient,
  closeEmulatorConnections,
  signedInClient,
  uniqueToken,
  type Client,
} from "../support/emulators";

type Registration = { token: string; platform: string; locale?: string; appVersion?: string };

const register = (client: Client, data: unknown) =>
  client.call<unknown, { deviceId: string }>("registerDevice", data);
const unregister = (client: Client, data: unknown) =>
  client.call<unknown, { removed: boolean }>("unregisterDevice", data);

const deviceDoc = (deviceId: string) => adminDb().collection("devices").doc(deviceId).get();
const devicesOf = async (uid: string) =>
  (await adminDb().collection("devices").where("uid", "==", uid).get()).docs;

async function expectCallError(call: Promise<unknown>, code: string): Promise<FunctionsError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FunctionsError);
  expect((error as FunctionsError).code).toBe(`functions/${code}`);
  return error as FunctionsError;
}

afterAll(closeEmulatorConnections);

describe("registerDevice", () => {
  let alice: Client;
  let bob: Client;
  const created: string[] = [];

  beforeAll(async () => {
    [alice, bob] = await Promise.all([signedInClient(), signedInClient()]);
  });

  afterAll(async () => {
    const docs = [...(await devicesOf(alice.uid)), ...(await devicesOf(bob.uid))];
    await Promise.all([...docs.map((doc) => doc.ref.delete())]);
    await Promise.all(created.map((id) => adminDb().collection("devices").doc(id).delete()));
  });

  it("stores the device under the SHA-256 of its token, with every field", async () => {
    const token = uniqueToken();
    const data: Registration = { token, platform: "ios", locale: "ko-KR", appVersion: "1.4.0" };
    const { deviceId } = await register(alice, data);
    created.push(deviceId);

    expect(deviceId).toBe(deviceIdOf(token));
    const stored = (await deviceDoc(deviceId)).data();
    expect(stored).toMatchObject({
      uid: alice.uid,
      token,
      platform: "ios",
      locale: "ko-KR",
      appVersion: "1.4.0",
    });
    expect((stored?.createdAt as Timestamp).toMillis()).toBe((stored?.lastSeenAt as Timestamp).toMillis());
    expect(stored?.rejected).toBeUndefined();
  });

  it("stores null for an omitted locale and appVersion", async () => {
    const { deviceId } = await register(alice, { token: uniqueToken(), platform: "web" });
    expect((await deviceDoc(deviceId)).data()).toMatchObject({ locale: null, appVersion: null });
  });

  it("keeps createdAt, advances lastSeenAt and clears a rejection mark on re-registration", async () => {
    const token = uniqueToken();
    const { deviceId } = await register(alice, { token, platform: "android", locale: "en-US" });
    const first = (await deviceDoc(deviceId)).data();
    await adminDb()
      .collection("devices")
      .doc(deviceId)
      .update({ rejected: { code: "messaging/registration-token-not-registered", at: new Date() } });
    await new Promise((resolve) => setTimeout(resolve, 50));

    await register(alice, { token, platform: "android", locale: "ko-KR", appVersion: "2.0.0" });
    const second = (await deviceDoc(deviceId)).data();

    expect((second?.createdAt as Timestamp).isEqual(first?.createdAt as Timestamp)).toBe(true);
    expect((second?.lastSeenAt as Timestamp).toMillis()).toBeGreaterThan(
      (first?.lastSeenAt as Timestamp).toMillis(),
    );
    expect(second).toMatchObject({ locale: "ko-KR", appVersion: "2.0.0" });
    expect(second?.rejected).toBeUndefined();
  });

  it("moves a token registered by another user to the caller", async () => {
    const token = uniqueToken();
    const { deviceId } = await register(alice, { token, platform: "android" });
    const before = (await deviceDoc(deviceId)).data();

    await register(bob, { token, platform: "android" });
    const after = (await deviceDoc(deviceId)).data();

    expect(after?.uid).toBe(bob.uid);
    expect((after?.createdAt as Timestamp).isEqual(before?.createdAt as Timestamp)).toBe(true);
    expect((await devicesOf(alice.uid)).map((doc) => doc.id)).not.toContain(deviceId);
  });

  it("keeps at most 10 devices per user: the 11th evicts the least recently seen", async () => {
    const carol = await signedInClient();
    const tokens = Array.from({ length: 10 }, () => uniqueToken());
    for (const token of tokens) await register(carol, { token, platform: "android" });
    // Last seen two days ago, in the same order: an unchanged device seen less than a day ago is not
    // written again (functions/src/devices/lastSeen.ts), so "seen again" needs an older lastSeenAt.
    const twoDaysAgo = Date.now() - 2 * 24 * 60 * 60 * 1000;
    await Promise.all(
      tokens.map((token, i) =>
        adminDb()
          .collection("devices")
          .doc(deviceIdOf(token ?? ""))
          .update({ lastSeenAt: Timestamp.fromMillis(twoDaysAgo + i * 1000) }),
      ),
    );
    // Seen again: the first token is now the most recent, the second the least recent.
    await register(carol, { token: tokens[0], platform: "android" });
    expect(await devicesOf(carol.uid)).toHaveLength(10);

    const eleventh = uniqueToken();
    await register(carol, { token: eleventh, platform: "web" });

    const remaining = (await devicesOf(carol.uid)).map((doc) => doc.id).sort();
    expect(remaining).toHaveLength(10);
    expect(remaining).not.toContain(deviceIdOf(tokens[1] ?? ""));
    expect(remaining).toEqual(
      [tokens[0], ...tokens.slice(2), eleventh].map((token) => deviceIdOf(token ?? "")).sort(),
    );
    await Promise.all((await devicesOf(carol.uid)).map((doc) => doc.ref.delete()));
  });

  it("refuses a caller who is not signed in, writing nothing", async () => {
    const token = uniqueToken();
    await expectCallError(register(anonymousClient(), { token, platform: "android" }), "unauthenticated");
    expect((await deviceDoc(deviceIdOf(token))).exists).toBe(false);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ["an empty token", { token: "", platform: "android" }, ["token"]],
    ["a token with whitespace", { token: "abc def", platform: "android" }, ["token"]],
    ["an oversized token", { token: "t".repeat(4097), platform: "android" }, ["token"]],
    ["a token of the wrong type", { token: 12345, platform: "android" }, ["token"]],
    ["a missing platform", { token: "ok-token" }, ["platform"]],
    ["an unknown platform", { token: "ok-token", platform: "symbian" }, ["platform"]],
    ["a locale that is not BCP 47", { token: "ok-token", platform: "ios", locale: "ko_KR" }, ["locale"]],
    [
      "an oversized locale",
      { token: "ok-token", platform: "ios", locale: `en-${"x".repeat(40)}` },
      ["locale"],
    ],
    [
      "an oversized appVersion",
      { token: "ok-token", platform: "ios", appVersion: "9".repeat(65) },
      ["appVersion"],
    ],
    ["an unknown key", { token: "ok-token", platform: "ios", uid: "victim" }, ["uid"]],
    ["several problems", { token: "", platform: "pc", extra: true }, ["extra", "platform", "token"]],
  ])("answers %s with invalid-argument and details, writing nothing", async (_case, data, paths) => {
    const token =
      typeof data.token === "string" && data.token !== "" ? `${data.token}-${alice.uid}` : data.token;
    const request = { ...data, token };
    const error = await expectCallError(register(alice, request), "invalid-argument");

    const details = error.details as { path: string; message: string }[];
    expect(details.map((detail) => detail.path).sort()).toEqual(paths);
    for (const detail of details) expect(detail.message).toEqual(expect.any(String));
    expect(error.message).toContain("Invalid registerDevice request");
    if (typeof token === "string" && token !== "") {
      expect((await deviceDoc(deviceIdOf(token))).exists).toBe(false);
    }
  });

  it("answers a request that is not an object with invalid-argument", async () => {
    const error = await expectCallError(register(alice, "just-a-token"), "invalid-argument");
    expect(error.details).toEqual([{ path: "", message: expect.any(String) as string }]);
  });
});

describe("unregisterDevice", () => {
  it("removes the caller's own device", async () => {
    const alice = await signedInClient();
    const token = uniqueToken();
    const { deviceId } = await register(alice, { token, platform: "android" });

    expect(await unregister(alice, { token })).toEqual({ removed: true });
    expect((await deviceDoc(deviceId)).exists).toBe(false);
    // Idempotent: a second sign-out finds nothing to remove.
    expect(await unregister(alice, { token })).toEqual({ removed: false });
  });

  it("leaves another user's device intact", async () => {
    const [alice, mallory] = await Promise.all([signedInClient(), signedInClient()]);
    const token = uniqueToken();
    const { deviceId } = await register(alice, { token, platform: "ios" });
    const before = (await deviceDoc(deviceId)).data();

    expect(await unregister(mallory, { token })).toEqual({ removed: false });
    expect((await deviceDoc(deviceId)).data()).toEqual(before);
    await adminDb().collection("devices").doc(deviceId).delete();
  });

  it("refuses a caller who is not signed in", async () => {
    await expectCallError(unregister(anonymousClient(), { token: uniqueToken() }), "unauthenticated");
  });

  it.each<[string, unknown]>([
    ["no token", {}],
    ["an empty token", { token: "" }],
    ["an unknown key", { token: "t", platform: "ios" }],
    ["null", null],
  ])("answers %s with invalid-argument and details", async (_case, data) => {
    const alice = await signedInClient();
    const error = await expectCallError(unregister(alice, data), "invalid-argument");
    expect(Array.isArray(error.details)).toBe(true);
    expect((error.details as unknown[]).length).toBeGreaterThan(0);
  });
});

describe("concurrent registration", () => {
  // 50 calls at once from a cold start: the Functions emulator serves a burst of callable requests with a
  // few workers (emulators/callableWorkers.cjs), each started cold the first time. Room for a busy machine.
  const SLOW_START_MS = 180_000;

  it(
    "50 parallel registrations of one token by two users end in one consistent device",
    async () => {
      const [alice, bob] = await Promise.all([signedInClient(), signedInClient()]);
      const token = uniqueToken();
      const calls = Array.from({ length: 50 }, (_, i) =>
        register(i % 2 === 0 ? alice : bob, {
          token,
          platform: i % 2 === 0 ? "android" : "ios",
          locale: i % 2 === 0 ? "en-US" : "ko-KR",
        }),
      );
      const results = await Promise.allSettled(calls);
      expect(results).toHaveLength(50);

      expect(results.filter((result) => result.status === "rejected")).toEqual([]);
      const deviceId = deviceIdOf(token);
      const matching = await adminDb().collection("devices").where("token", "==", token).get();
      expect(matching.docs.map((doc) => doc.id)).toEqual([deviceId]);

      const stored = matching.docs[0]?.data();
      // Every field comes from the same call: Alice's calls say android/en-US, Bob's ios/ko-KR.
      const expected =
        stored?.uid === alice.uid
          ? { platform: "android", locale: "en-US" }
          : { platform: "ios", locale: "ko-KR" };
      expect([alice.uid, bob.uid]).toContain(stored?.uid);
      expect(stored).toMatchObject(expected);
      expect((stored?.lastSeenAt as Timestamp).toMillis()).toBeGreaterThanOrEqual(
        (stored?.createdAt as Timestamp).toMillis(),
      );
      await adminDb().collection("devices").doc(deviceId).delete();
    },
    SLOW_START_MS,
  );
});
