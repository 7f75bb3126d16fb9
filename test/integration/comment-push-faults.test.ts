// The comment push when FCM misbehaves: transient errors are retried until every device has its push
// exactly once, credential errors fail the delivery without touching any token, and a batch answered
// mostly `mismatched-credential` marks nothing. Faults are armed on the FCM emulator right before the
// comment is written, and cleared after every test.
import {
  armFault,
  cleanUp,
  clearFaults,
  comment,
  countsByToken,
  deviceData,
  finishedDeliveriesOf,
  registerDevice,
  setProfile,
  subscribe,
  writePost,
  type Device,
} from "../support/commentPush";
import { closeEmulatorConnections, signedInClient, type Client } from "../support/emulators";

const made = {
  devices: [] as Device[],
  uids: [] as string[],
  postIds: [] as string[],
  commentIds: [] as string[],
};

afterEach(async () => {
  await clearFaults();
  await cleanUp(made);
});
afterAll(closeEmulatorConnections);

/** A post by an author with `authorTokens` devices, followed by a user with `followerTokens` devices. */
async function postWithDevices(
  authorTokens: (string | undefined)[],
  followerTokens: (string | undefined)[] = [],
) {
  const [author, follower, commenter] = await Promise.all([
    signedInClient(),
    signedInClient(),
    signedInClient(),
  ]);
  made.uids.push(author.uid, follower.uid, commenter.uid);
  await setProfile(commenter, "Commenter");
  const register = async (client: Client, prefixes: (string | undefined)[]) => {
    const devices: Device[] = [];
    for (const prefix of prefixes) devices.push(await registerDevice(client, prefix ? { prefix } : {}));
    made.devices.push(...devices);
    return devices;
  };
  const authorDevices = await register(author, authorTokens);
  const followerDevices = await register(follower, followerTokens);
  const postId = await writePost(author);
  made.postIds.push(postId);
  if (followerTokens.length > 0) await subscribe(follower, postId, false);
  return {
    postId,
    devices: [...authorDevices, ...followerDevices],
    async comment() {
      const commentId = await comment(commenter, postId, "Hello");
      made.commentIds.push(commentId);
      const deliveries = await finishedDeliveriesOf(commentId, 45_000);
      expect(deliveries).toHaveLength(1);
      return deliveries[0];
    },
  };
}

const unmarked = async (devices: Device[]) => {
  const data = await Promise.all(devices.map((device) => deviceData(device.deviceId)));
  return data.every((device) => device !== undefined && device.rejected === undefined);
};

describe("transient FCM errors", () => {
  it.each([
    { status: 503 as const, count: 2, retryAfterSeconds: 0 },
    { status: 500 as const, count: 2 },
    { status: 429 as const, count: 1, retryAfterSeconds: 0 },
    { status: 429 as const, count: 3, retryAfterSeconds: 1 },
  ])("$status ×$count: every device still gets exactly one push, no token is marked", async (fault) => {
    const world = await postWithDevices([undefined, undefined, undefined], [undefined, undefined]);
    await armFault(fault);
    const delivery = await world.comment();

    const tokens = world.devices.map((device) => device.token);
    expect(await countsByToken(tokens)).toEqual(Object.fromEntries(tokens.map((token) => [token, 1])));
    expect(delivery).toMatchObject({
      status: "done",
      recipients: 2,
      tokens: 5,
      sent: 5,
      failed: 0,
      rejected: 0,
    });
    // 429 and 500 are ours to retry (each failed request once more); 503 is firebase-admin's own.
    if (fault.status === 503) expect(delivery?.retries).toBe(0);
    else expect(delivery?.retries).toBe(fault.count);
    expect(await unmarked(world.devices)).toBe(true);
  });
});

describe("credential errors", () => {
  it("a 401 (APNs / web push credentials) fails the delivery and leaves every token alone", async () => {
    const world = await postWithDevices([undefined, undefined, undefined]);
    await armFault({ status: 401, count: 3 });
    const delivery = await world.comment();

    expect(delivery).toMatchObject({
      status: "failed",
      tokens: 3,
      sent: 0,
      failed: 3,
      rejected: 0,
      retries: 0,
    });
    expect(delivery?.error).toMatch(/third-party-auth/);
    expect(await countsByToken(world.devices.map((d) => d.token))).toEqual(
      Object.fromEntries(world.devices.map((d) => [d.token, 0])),
    );
    expect(await unmarked(world.devices)).toBe(true);
  });

  it("a batch answered mostly mismatched-credential marks no token and fails loudly", async () => {
    const mismatches = Array.from({ length: 9 }, () => "mismatch");
    const world = await postWithDevices([...mismatches, undefined], ["mismatch", "mismatch", "mismatch"]);
    const delivery = await world.comment();

    expect(delivery).toMatchObject({ status: "failed", tokens: 13, sent: 1, failed: 12, rejected: 0 });
    expect(delivery?.error).toMatch(/mass-rejection guard/);
    expect(await unmarked(world.devices)).toBe(true);
    const valid = world.devices.find((device) => !device.token.startsWith("mismatch"));
    expect(await countsByToken([valid?.token ?? ""])).toEqual({ [valid?.token ?? ""]: 1 });
  });

  it("one mismatched token among valid ones is marked rejected", async () => {
    const world = await postWithDevices([undefined, "mismatch", undefined, undefined]);
    const delivery = await world.comment();

    expect(delivery).toMatchObject({ status: "done", tokens: 4, sent: 3, failed: 0, rejected: 1 });
    const isMismatch = (device: Device) => device.token.startsWith("mismatch");
    const mismatched = world.devices.filter(isMismatch);
    const valid = world.devices.filter((device) => !isMismatch(device));
    expect(mismatched).toHaveLength(1);
    expect((await deviceData(mismatched[0]?.deviceId ?? ""))?.rejected).toMatchObject({
      code: "messaging/mismatched-credential",
    });
    expect(await unmarked(valid)).toBe(true);
  });
});
