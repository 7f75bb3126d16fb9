// Fault drills: the exactly-once and no-wrong-deletion claims under the faults production will see.
//
// 1. FCM fails half the send requests of a real comment fan-out (the client writes the comment, the
//    Functions emulator's trigger sends): 503, 500, 429 with Retry-After, connections reset. The FCM
//    emulator's partial outage (`every: 2`: the 1st, 3rd, 5th... request fails) is armed for two rounds of
//    requests, then runs out, as an outage does.
// 2. One comment-created event delivered twice: after the real trigger handled it (a Cloud Functions
//    redelivery, run in this process with the same event id), and twice at the same time during an outage.
// 3. Two prunes at once, while a stale device is re-registered between a prune's read and its delete.
//
// Runs 2b and 3 keep their data in a Firestore project of their own (demo-push-drills), so the Functions
// emulator's trigger (which watches demo-push) never fires for them and the prunes see only their devices.
import { randomUUID } from "node:crypto";
import { deleteApp, initializeApp, type App } from "firebase-admin/app";
import { FieldValue, getFirestore, Timestamp, type Firestore } from "firebase-admin/firestore";
import type { Messaging } from "firebase-admin/messaging";
import type { ScheduledEvent } from "firebase-functions/v2/scheduler";
import { pushStoresOn } from "../../functions/src/push/defaults";
import type { CommentCreatedEvent } from "../../functions/src/push/kinds/comment/stores";
import { DevicePruneStore } from "../../functions/src/devices/devicePruneStore";
import { DeviceStore } from "../../functions/src/devices/deviceStore";
import { seedDevices } from "../../functions/src/devices/seed";
import { emulatorMessaging, messagingTargetFromEnv } from "../../functions/src/shared/messaging";
import { handleCommentCreated } from "../../functions/src/functions/onCommentCreated";
import { DeliveryLeasedError } from "../../functions/src/push/delivery";
import { DAY_MS } from "../../functions/src/prune/cutoff";
import { handlePruneDevices } from "../../functions/src/functions/pruneDevices";
import { defaultRetryPolicy } from "../../functions/src/push/domain/retryPolicy";
import {
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
  type Delivery,
  type Device,
} from "../support/commentPush";
import {
  adminDb,
  closeEmulatorConnections,
  PROJECT_ID,
  signedInClient,
  uniqueToken,
  type Client,
} from "../support/emulators";

const DRILLS_PROJECT = "demo-push-drills";
const fastPolicy = { ...defaultRetryPolicy, baseDelayMs: 10, maxDelayMs: 50, budgetMs: 10_000 };

/** What a half outage looks like on the wire: the fault on every other send request, `count` times. */
type HalfOutage =
  | { status: 429 | 500 | 503; count: number; every: 2; retryAfterSeconds?: number }
  | { kind: "reset"; count: number; every: 2 };

function fcmEmulatorUrl(): string {
  const host = process.env.FCM_EMULATOR_HOST;
  if (!host) throw new Error("FCM_EMULATOR_HOST is not set: run inside the emulators (npm test)");
  return `http://${host}`;
}

async function armOutage(outage: HalfOutage): Promise<void> {
  const response = await fetch(`${fcmEmulatorUrl()}/emulator/v1/faults`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(outage),
  });
  if (!response.ok) throw new Error(`arming the outage: HTTP ${response.status} ${await response.text()}`);
}

/** The fault still armed on the FCM emulator ({} once it has run out). */
async function armedFault(): Promise<unknown> {
  return (await fetch(`${fcmEmulatorUrl()}/emulator/v1/faults`)).json();
}

const PARAMS = ["TOKEN_STALE_DAYS", "PRUNE_MAX_WRITES_PER_SECOND"] as const;
const savedParams = PARAMS.map((name) => [name, process.env[name]] as const);

let drillsApp: App;
let drillsDb: Firestore;
let messaging: Messaging;

beforeAll(() => {
  drillsApp = initializeApp({ projectId: DRILLS_PROJECT }, `fault-drills-${randomUUID()}`);
  drillsDb = getFirestore(drillsApp);
  const target = messagingTargetFromEnv(process.env);
  if (target.kind !== "emulator") throw new Error("FCM_EMULATOR_HOST is not set: run inside the emulators");
  messaging = emulatorMessaging(target, PROJECT_ID);
});

beforeEach(() => {
  // What the Functions runtime provides from the params (their defaults), for the in-process prunes.
  process.env.TOKEN_STALE_DAYS = "30";
  process.env.PRUNE_MAX_WRITES_PER_SECOND = "500";
});

const made = {
  devices: [] as Device[],
  uids: [] as string[],
  postIds: [] as string[],
  commentIds: [] as string[],
};

afterEach(async () => {
  for (const [name, value] of savedParams) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await clearFaults();
  await cleanUp(made);
  await drillsDb.recursiveDelete(drillsDb.collection("posts"));
  await Promise.all(
    ["devices", "users", "pushDeliveries"].map((name) => drillsDb.recursiveDelete(drillsDb.collection(name))),
  );
});

afterAll(async () => {
  await Promise.all([deleteApp(drillsApp), deleteApp(messaging.app)]);
  await closeEmulatorConnections();
});

const storesOn = pushStoresOn;

const exactlyOnce = (tokens: string[]) => Object.fromEntries(tokens.map((token) => [token, 1]));
const pruneEvent = (): ScheduledEvent => ({ scheduleTime: new Date().toISOString(), jobName: "fault-drill" });

/**
 * Through the client SDK: an author and three followers with `devicesEach` devices each (registered with
 * the callable), the author's post, the followers' subscriptions, and a commenter; one follower device's
 * token is one FCM no longer knows (`unregistered...`).
 */
async function followedPost(devicesEach: number) {
  const clients = await Promise.all(Array.from({ length: 5 }, () => signedInClient()));
  const [author, commenter, ...followers] = clients as [Client, Client, ...Client[]];
  made.uids.push(...clients.map((client) => client.uid));
  await setProfile(commenter, "Drill Sergeant");
  const valid: Device[] = [];
  let unregistered: Device | undefined;
  for (const client of [author, ...followers]) {
    for (let n = 0; n < devicesEach; n += 1) {
      const lastOfAll = client === followers[followers.length - 1] && n === devicesEach - 1;
      const device = await registerDevice(client, lastOfAll ? { prefix: "unregistered" } : {});
      made.devices.push(device);
      if (lastOfAll) unregistered = device;
      else valid.push(device);
    }
  }
  if (!unregistered) throw new Error("no unregistered device was arranged");
  const postId = await writePost(author);
  made.postIds.push(postId);
  await Promise.all(followers.map((follower) => subscribe(follower, postId, false)));
  return {
    postId,
    valid,
    unregistered,
    recipients: 1 + followers.length,
    /** Writes a comment as the commenter and waits for its one finished delivery. */
    async comment(): Promise<{ commentId: string; delivery: Delivery }> {
      const commentId = await comment(commenter, postId, "Stand by for faults");
      made.commentIds.push(commentId);
      const deliveries = await finishedDeliveriesOf(commentId, 90_000);
      expect(deliveries).toHaveLength(1);
      return { commentId, delivery: deliveries[0] as Delivery };
    },
  };
}

/** The devices that still exist and are not marked rejected. */
async function unmarkedAndPresent(devices: Device[]): Promise<Device[]> {
  const data = await Promise.all(devices.map((device) => deviceData(device.deviceId)));
  return devices.filter((_, i) => data[i] !== undefined && data[i]?.rejected === undefined);
}

describe("FCM fails half the send requests of a real fan-out", () => {
  // 4 recipients × 4 devices = 16 messages in one sendEach: the first round's 16 requests meet 8 faults,
  // the 8 resent meet 4 more; then the outage is over. 429 and 500 are resent by our retry policy, 503
  // and resets by firebase-admin itself.
  const DEVICES_EACH = 4;
  const FAULTS = 8 + 4;

  it.each<{ name: string; outage: HalfOutage; ourRetries: boolean }>([
    {
      name: "503 UNAVAILABLE",
      outage: { status: 503, count: FAULTS, every: 2, retryAfterSeconds: 1 },
      ourRetries: false,
    },
    { name: "500 INTERNAL", outage: { status: 500, count: FAULTS, every: 2 }, ourRetries: true },
    {
      name: "429 QUOTA_EXCEEDED with Retry-After",
      outage: { status: 429, count: FAULTS, every: 2, retryAfterSeconds: 1 },
      ourRetries: true,
    },
    {
      name: "connection reset mid-request",
      outage: { kind: "reset", count: FAULTS, every: 2 },
      ourRetries: false,
    },
  ])(
    "$name: each valid device gets exactly one push, no valid token is marked or deleted",
    async ({ outage, ourRetries }) => {
      const world = await followedPost(DEVICES_EACH);
      const tokens = DEVICES_EACH * world.recipients;

      await armOutage(outage);
      const { delivery } = await world.comment();

      // The outage happened, all of it, during this fan-out.
      expect(await armedFault()).toEqual({});
      const validTokens = world.valid.map((device) => device.token);
      expect(await countsByToken([...validTokens, world.unregistered.token])).toEqual({
        ...exactlyOnce(validTokens),
        [world.unregistered.token]: 0,
      });
      expect(delivery).toMatchObject({
        status: "done",
        recipients: world.recipients,
        tokens,
        sent: tokens - 1,
        rejected: 1,
        failed: 0,
      });
      const counts = delivery as unknown as Record<"sent" | "rejected" | "failed" | "tokens", number>;
      expect(counts.sent + counts.rejected + counts.failed).toBe(counts.tokens);
      // Each failed request was sent once more by our policy; the SDK's own retries are not ours to count.
      if (ourRetries) expect(delivery.retries).toBe(FAULTS);

      expect(await unmarkedAndPresent(world.valid)).toEqual(world.valid);
      expect((await deviceData(world.unregistered.deviceId))?.rejected).toMatchObject({
        code: "messaging/registration-token-not-registered",
      });

      // The next prune deletes the token FCM refused, and no valid one.
      await handlePruneDevices(pruneEvent(), { store: new DevicePruneStore(adminDb()) });
      expect(await unmarkedAndPresent(world.valid)).toEqual(world.valid);
      expect(await deviceData(world.unregistered.deviceId)).toBeUndefined();
    },
  );
});

describe("one comment-created event delivered twice", () => {
  it("a redelivery after the real trigger handled the event sends nothing", async () => {
    const world = await followedPost(2);
    const { commentId, delivery } = await world.comment();
    expect(delivery.status).toBe("done");

    // What Cloud Functions may do (at-least-once): hand the same event, same id, to another instance.
    const event: CommentCreatedEvent = {
      id: delivery.id,
      params: { postId: world.postId, commentId },
      data: await adminDb().doc(`posts/${world.postId}/comments/${commentId}`).get(),
    };
    const again = await handleCommentCreated(event, {
      stores: await storesOn(adminDb()),
      sender: messaging,
      policy: fastPolicy,
    });

    expect(again).toEqual({ kind: "already-handled", status: "done" });
    const validTokens = world.valid.map((device) => device.token);
    expect(await countsByToken(validTokens)).toEqual(exactlyOnce(validTokens));
    expect(await finishedDeliveriesOf(commentId)).toHaveLength(1);
  });

  it("two deliveries at the same time during an outage: one sends, each device gets one push", async () => {
    // In demo-push-drills, so the only runs are these two.
    const devices = new DeviceStore(drillsDb);
    const [author, follower, commenter] = ["author", "follower", "commenter"].map(
      (who) => `${who}-${randomUUID()}`,
    );
    const tokens = Array.from({ length: 8 }, () => uniqueToken("drill"));
    const postId = `post-${randomUUID()}`;
    await Promise.all([
      ...tokens.map((token, i) =>
        devices.register({
          uid: (i < 4 ? author : follower) ?? "",
          token,
          platform: i % 2 ? "ios" : "android",
        }),
      ),
      drillsDb.doc(`users/${commenter}`).set({ displayName: "Twice" }),
      drillsDb
        .doc(`posts/${postId}`)
        .set({ authorId: author, title: "Once", createdAt: FieldValue.serverTimestamp() }),
      drillsDb
        .doc(`posts/${postId}/subscribers/${follower}`)
        .set({ muted: false, since: FieldValue.serverTimestamp() }),
    ]);
    const commentRef = drillsDb.collection(`posts/${postId}/comments`).doc();
    await commentRef.set({ authorId: commenter, text: "Only once", createdAt: FieldValue.serverTimestamp() });
    const event: CommentCreatedEvent = {
      id: `event-${randomUUID()}`,
      params: { postId, commentId: commentRef.id },
      data: await commentRef.get(),
    };
    await armOutage({ status: 500, count: 4 + 2, every: 2 });

    const stores = await storesOn(drillsDb);
    const run = () => handleCommentCreated(event, { stores, sender: messaging, policy: fastPolicy });
    // The run that loses the gate is refused once the winner has started sending; while the winner still
    // prepares under its lease, it is told to retry later (DeliveryLeasedError, docs/delivery.md "Leases"),
    // and the platform's redelivery, after the winner is done, is refused. Either way: one send.
    const settled = await Promise.allSettled([run(), run()]);
    const outcomes = await Promise.all(
      settled.map(async (result) => {
        if (result.status === "fulfilled") return result.value;
        expect(result.reason).toBeInstanceOf(DeliveryLeasedError);
        return run();
      }),
    );

    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(["already-handled", "delivered"]);
    expect(outcomes.find((outcome) => outcome.kind === "delivered")).toMatchObject({
      status: "done",
      counts: { recipients: 2, tokens: 8, sent: 8, failed: 0, rejected: 0, retries: 6 },
    });
    expect(await countsByToken(tokens)).toEqual(exactlyOnce(tokens));
    const records = await drillsDb.collection("pushDeliveries").where("commentId", "==", commentRef.id).get();
    expect(records.docs.map((doc) => doc.id)).toEqual([event.id]);
  });
});

describe("two prunes at once", () => {
  it("delete each stale and rejected device once, and no fresh or re-registered one", async () => {
    const now = Date.now();
    const store = new DevicePruneStore(drillsDb);
    type Seeded = { token: string; deviceId: string };
    const seed = async (
      count: number,
      label: string,
      lastSeenMillis: (i: number) => number,
      rejected = false,
    ) => {
      const devices = Array.from({ length: count }, (_, i) => {
        const seen = Timestamp.fromMillis(lastSeenMillis(i));
        return {
          uid: `drill-${label}-user-${i % 50}`,
          token: uniqueToken(`drill-${label}`),
          platform: "android" as const,
          createdAt: seen,
          lastSeenAt: seen,
          ...(rejected
            ? { rejected: { code: "messaging/registration-token-not-registered", at: seen } }
            : {}),
        };
      });
      const ids = await seedDevices(drillsDb, devices);
      const seeded: Seeded[] = devices.map(({ token }, i) => ({ token, deviceId: ids[i] as string }));
      return seeded;
    };
    // Oldest first: the device re-registered mid-prune is the first of the first stale page.
    const [reRegistered, ...stale] = await seed(1_200, "stale", (i) => now - 60 * DAY_MS + i * 60_000);
    const rejected = await seed(100, "rejected", () => now - 60_000, true);
    const fresh = await seed(300, "fresh", (i) => now - i * 60_000);
    if (!reRegistered) throw new Error("nothing seeded");

    // Both prunes read the first stale page (holding the oldest device) before either deletes from it;
    // then that device's owner opens the app (registerDevice) and only then do the deletes go out.
    let secondRead!: () => void;
    const secondHasRead = new Promise<void>((resolve) => (secondRead = resolve));
    let reRegister!: () => void;
    const reRegisteredNow = new Promise<void>((resolve) => (reRegister = resolve));
    let raced = false;
    let second: Promise<Awaited<ReturnType<typeof handlePruneDevices>>> | undefined;
    const holdsOldest = (reason: string, ids: string[]) =>
      reason === "stale" && ids.includes(reRegistered.deviceId);
    const first = handlePruneDevices(pruneEvent(), {
      store,
      onPageRead: async (reason, ids) => {
        if (raced || !holdsOldest(reason, ids)) return;
        raced = true;
        second = handlePruneDevices(pruneEvent(), {
          store: new DevicePruneStore(drillsDb),
          onPageRead: async (secondReason, secondIds) => {
            if (!holdsOldest(secondReason, secondIds)) return;
            secondRead();
            await reRegisteredNow;
          },
        });
        await secondHasRead;
        await new DeviceStore(drillsDb).register({
          uid: "drill-returning-user",
          token: reRegistered.token,
          platform: "android",
        });
        reRegister();
      },
    });
    const runs = [await first, await (second ?? Promise.reject(new Error("the second prune never started")))];

    expect(raced).toBe(true);
    const ids = (list: Seeded[]) => list.map((device) => device.deviceId);
    const left = await drillsDb.getAll(
      ...[...stale, ...rejected, ...fresh, reRegistered].map((d) => drillsDb.doc(`devices/${d.deviceId}`)),
    );
    const present = new Set(left.filter((snapshot) => snapshot.exists).map((snapshot) => snapshot.id));
    expect([...present].sort()).toEqual([...ids(fresh), reRegistered.deviceId].sort());
    expect((await drillsDb.doc(`devices/${reRegistered.deviceId}`).get()).data()).toMatchObject({
      uid: "drill-returning-user",
    });
    // Every device was deleted by exactly one of the two; the re-registered one by neither; no delete failed.
    const deleted = (reason: "stale" | "rejected") => runs.reduce((sum, run) => sum + run.deleted[reason], 0);
    expect(deleted("stale")).toBe(stale.length);
    expect(deleted("rejected")).toBe(rejected.length);
    expect(runs.map((run) => run.failed)).toEqual([0, 0]);
    expect(runs.every((run) => run.skipped >= 1)).toBe(true);
  });
});
