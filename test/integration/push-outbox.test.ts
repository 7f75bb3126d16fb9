// The push outbox end to end: trusted server code (here the Admin SDK) writes `pushRequests/{requestId}`,
// the trigger fires in the Functions emulator (and, above PUSH_TASKS_THRESHOLD, sends through
// sendPushSlice tasks on the Cloud Tasks emulator), the FCM emulator's message log is what the devices
// received, and the request doc carries the outcome in `delivery`.
import { randomUUID } from "node:crypto";
import functionsTest from "firebase-functions-test";
import { onPushRequestCreated } from "../../functions/src/index";
import { handleDocumentEvent } from "../../functions/src/push/kinds/documentTrigger";
import { requestKind } from "../../functions/src/push/kinds/request/request";
import { countsByToken, messagesTo, outcomeKind, type PushMessage } from "../support/commentPush";
import { adminDb, closeEmulatorConnections, eventually } from "../support/emulators";
import {
  deleteDeliveriesWhere,
  deleteDevices,
  deliveriesWhere,
  endedDeliveriesWhere,
  seedDevicesOf,
  type SeededDevice,
} from "../support/kindPush";
import { seedDevices, type SeedDevice } from "../../functions/src/devices/seed";
import { deviceIdOf } from "../../functions/src/devices/deviceId";
import { Timestamp, type DocumentData } from "firebase-admin/firestore";
import { uniqueToken } from "../support/emulators";

const fft = functionsTest({ projectId: "demo-push" });
const made = { devices: [] as SeededDevice[], requests: [] as string[] };

afterEach(async () => {
  const db = adminDb();
  await deleteDevices(made.devices);
  await Promise.all(
    made.requests.flatMap((id) => [
      db.doc(`pushRequests/${id}`).delete(),
      deleteDeliveriesWhere("requestId", id),
    ]),
  );
  made.devices.length = 0;
  made.requests.length = 0;
});
afterAll(async () => {
  fft.cleanup();
  await closeEmulatorConnections();
});

const run = randomUUID().slice(0, 8);
let users = 0;
const newUid = () => `outbox-${run}-${users++}`;

async function devicesOf(uid: string, locales: (string | null)[], prefix?: string): Promise<SeededDevice[]> {
  const seeded = await seedDevicesOf(uid, locales, prefix === undefined ? {} : { prefix });
  made.devices.push(...seeded);
  return seeded;
}

/** Writes a request as trusted server code would; returns its id. */
async function request(data: DocumentData): Promise<string> {
  const id = `request-${randomUUID()}`;
  made.requests.push(id);
  await adminDb().doc(`pushRequests/${id}`).set(data);
  return id;
}

type Outcome = {
  state: "PROCESSING" | "SUCCESS" | "ERROR";
  error?: string;
  attempts: number;
  startTime?: Timestamp;
  endTime?: Timestamp;
  counts: { recipients: number; tokens: number; sent: number; failed: number; rejected: number };
};

/** The request's `delivery` once it has ended (SUCCESS or ERROR). */
async function outcomeOf(id: string, timeoutMs = 60_000): Promise<Outcome> {
  const read = async () =>
    (await adminDb().doc(`pushRequests/${id}`).get()).get("delivery") as Outcome | undefined;
  const ended = (delivery: Outcome | undefined) =>
    delivery?.state === "SUCCESS" || delivery?.state === "ERROR";
  const delivery = await eventually(read, ended, timeoutMs, 250);
  if (!delivery || !ended(delivery))
    throw new Error(`pushRequests/${id} did not end: ${JSON.stringify(delivery)}`);
  return delivery;
}

const tokensOf = (devices: SeededDevice[]) => devices.map((device) => device.token);
const byToken = (messages: PushMessage[]) => new Map(messages.map((message) => [message.token, message]));
const NO_COUNTS = { recipients: 0, tokens: 0, sent: 0, failed: 0, rejected: 0 };

describe("a push request", () => {
  it("to 3 users reaches each of their devices once, in the language its locale picks", async () => {
    const [ko, pt, other] = [newUid(), newUid(), newUid()];
    const [koKR, koOnly] = await devicesOf(ko, ["ko-KR", "ko"]);
    const [ptBR, ptPT] = await devicesOf(pt, ["pt-BR", "pt_PT"]);
    const [french, none] = await devicesOf(other, ["fr-FR", null]);
    const [outsider] = await devicesOf(newUid(), ["ko-KR"]);
    if (!koKR || !koOnly || !ptBR || !ptPT || !french || !none || !outsider) throw new Error("no devices");

    const id = await request({
      toUids: [ko, pt, other],
      title: { default: "Spring sale", ko: "봄 세일", "pt-BR": "Liquidação", pt: "Saldos" },
      body: { default: "Everything half price", "ko-KR": "전 품목 반값 (KR)", ko: "전 품목 반값" },
      data: { campaign: "spring", screen: "shop" },
    });

    const outcome = await outcomeOf(id);
    expect(outcome).toMatchObject({
      state: "SUCCESS",
      attempts: 1,
      counts: { recipients: 3, tokens: 6, sent: 6, failed: 0, rejected: 0 },
    });
    expect(outcome.error).toBeUndefined();
    expect(outcome.startTime).toBeInstanceOf(Timestamp);
    expect(outcome.endTime).toBeInstanceOf(Timestamp);

    const received = await messagesTo(tokensOf(made.devices));
    expect(received).toHaveLength(outcome.counts.sent);
    expect(received.map((message) => message.token).sort()).toEqual(
      tokensOf([koKR, koOnly, ptBR, ptPT, french, none]).sort(),
    );
    const messages = byToken(received);
    const notification = (device: SeededDevice) => messages.get(device.token)?.notification;
    // The exact tag, then the primary language, then the default.
    expect(notification(koKR)).toEqual({ title: "봄 세일", body: "전 품목 반값 (KR)" });
    expect(notification(koOnly)).toEqual({ title: "봄 세일", body: "전 품목 반값" });
    expect(notification(ptBR)).toEqual({ title: "Liquidação", body: "Everything half price" });
    expect(notification(ptPT)).toEqual({ title: "Saldos", body: "Everything half price" });
    expect(notification(french)).toEqual({ title: "Spring sale", body: "Everything half price" });
    expect(notification(none)).toEqual({ title: "Spring sale", body: "Everything half price" });
    for (const message of received) {
      // The request's data, the server's keys, and the badge (each user's first feed item).
      expect(message.data).toEqual({
        campaign: "spring",
        screen: "shop",
        type: "request",
        requestId: id,
        unread: "1",
      });
      expect(message.android?.notification?.channel_id).toBe("announcements");
    }

    const deliveries = await endedDeliveriesWhere("requestId", id);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ kind: "request", status: "done", sent: 6 });
  });

  it("ends SUCCESS when a token is rejected, counting it, and marks the token", async () => {
    const uid = newUid();
    const [good] = await devicesOf(uid, ["en-US"]);
    const [gone] = await devicesOf(uid, ["en-US"], "unregistered");
    const nobody = newUid(); // no device at all: a recipient with nothing to send to
    if (!good || !gone) throw new Error("no devices");

    const id = await request({
      toUids: [uid, nobody],
      title: "Hello",
      kind: "follows",
      collapseKey: "hello",
    });

    const outcome = await outcomeOf(id);
    expect(outcome).toMatchObject({
      state: "SUCCESS",
      counts: { recipients: 2, tokens: 2, sent: 1, failed: 0, rejected: 1 },
    });
    const received = await messagesTo([good.token, gone.token]);
    expect(received.map((message) => message.token)).toEqual([good.token]);
    expect(received).toHaveLength(outcome.counts.sent);
    const rejected = (
      await adminDb()
        .doc(`devices/${deviceIdOf(gone.token)}`)
        .get()
    ).get("rejected") as unknown;
    expect(rejected).toMatchObject({ code: "messaging/registration-token-not-registered" });
  });

  it("to 2,500 users goes through slices and reaches each device once", async () => {
    const uids = Array.from({ length: 2_500 }, () => newUid());
    const now = Timestamp.now();
    const devices: SeedDevice[] = uids.map((uid, index) => ({
      uid,
      token: uniqueToken("outbox"),
      platform: index % 2 === 0 ? "android" : "ios",
      locale: index % 3 === 0 ? "ko-KR" : "en-US",
      appVersion: "1.0.0",
      createdAt: now,
      lastSeenAt: now,
    }));
    made.devices.push(...devices.map(({ uid, token }) => ({ uid, token, locale: null })));
    await seedDevices(adminDb(), devices);
    const tokens = devices.map((device) => device.token);

    const id = await request({ toUids: uids, title: { default: "To everyone", ko: "모두에게" } });

    // Well inside the trigger's own timeout (540 s), as a busy machine may need.
    const outcome = await outcomeOf(id, 600_000);
    expect(outcome).toMatchObject({
      state: "SUCCESS",
      counts: { recipients: 2_500, tokens: 2_500, sent: 2_500, failed: 0, rejected: 0 },
    });
    const counts = await countsByToken(tokens);
    expect(Object.values(counts).filter((n) => n !== 1)).toEqual([]);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(outcome.counts.sent);

    const [delivery, ...others] = await endedDeliveriesWhere("requestId", id);
    expect(others).toEqual([]);
    expect(delivery).toMatchObject({ kind: "request", status: "done", fanOut: "tasks", sent: 2_500 });
    expect(delivery?.slices).toBeGreaterThan(1);
    expect(delivery?.slicesDone).toBe(delivery?.slices);
  }, 660_000);

  it("is delivered once however often its trigger runs", async () => {
    const uid = newUid();
    const phones = await devicesOf(uid, ["en-US", "ko-KR"]);
    const id = await request({ toUids: [uid], title: "Once" });
    // The trigger fires in the Functions emulator; here it runs again, twice with one event of its own and
    // once more wrapped as deployed, all while the emulator's run may still be going.
    const snapshot = await adminDb().doc(`pushRequests/${id}`).get();
    const event = { id: `event-${randomUUID()}`, params: { requestId: id }, data: snapshot };
    const wrapped = fft.wrap(onPushRequestCreated) as (event: object) => Promise<unknown>;
    const runs = await Promise.all([
      outcomeKind(handleDocumentEvent(requestKind, event)),
      outcomeKind(handleDocumentEvent(requestKind, event)),
      outcomeKind(
        wrapped({
          id: `event-${randomUUID()}`,
          params: { requestId: id },
          data: snapshot.data(),
        }).then(() => ({ kind: "ran" })),
      ),
    ]);
    expect(runs).toHaveLength(3);

    const outcome = await outcomeOf(id);
    expect(outcome).toMatchObject({ state: "SUCCESS", counts: { recipients: 1, tokens: 2, sent: 2 } });
    // The emulator's run may have been the one to send: wait until nothing is left going, then count.
    await endedDeliveriesWhere("requestId", id);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await countsByToken(tokensOf(phones))).toEqual(
      Object.fromEntries(tokensOf(phones).map((token) => [token, 1])),
    );
    expect(await deliveriesWhere("requestId", id)).toHaveLength(1);
    expect((await adminDb().doc(`pushRequests/${id}`).get()).get("delivery")).toMatchObject({
      state: "SUCCESS",
      attempts: 1,
    });
  });

  const title = "Hello";
  it.each<[string, (target: string) => DocumentData, RegExp]>([
    ["no toUids", () => ({ title }), /toUids/],
    [
      "10,001 uids",
      (target) => ({ toUids: [target, ...Array.from({ length: 10_000 }, (_, i) => `u${i}`)], title }),
      /toUids.*10000/,
    ],
    ["a non-string data value", (target) => ({ toUids: [target], title, data: { count: 3 } }), /data\.count/],
    ["an unknown kind", (target) => ({ toUids: [target], title, kind: "marketing" }), /kind/],
    ["a title of 201 characters", (target) => ({ toUids: [target], title: "x".repeat(201) }), /title.*200/],
    [
      "a Text object without default",
      (target) => ({ toUids: [target], title: { en: "Hi", ko: "안녕" } }),
      /title.*default/,
    ],
    ["a reserved data key", (target) => ({ toUids: [target], title, data: { type: "promo" } }), /data.*type/],
    ["an unknown field", (target) => ({ toUids: [target], title, sendAt: "tomorrow" }), /sendAt/],
  ])("with %s ends ERROR naming the problem, and nothing is sent", async (_, body, problem) => {
    const target = newUid();
    const phones = await devicesOf(target, ["en-US"]);
    const id = await request(body(target));

    const outcome = await outcomeOf(id);
    expect(outcome).toMatchObject({ state: "ERROR", counts: NO_COUNTS });
    expect(outcome.error).toMatch(problem);
    const [delivery] = await endedDeliveriesWhere("requestId", id);
    expect(delivery).toMatchObject({ kind: "request", status: "failed" });
    expect(await messagesTo(tokensOf(phones))).toEqual([]);
  });
});
