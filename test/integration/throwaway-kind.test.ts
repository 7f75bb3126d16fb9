// The proof that docs/kinds.md ("Add your own push kind") suffices: a throw-away kind, kudos, written the way
// the guide says (its own file, test/support/kudosKind.ts, and its registry line below), delivered end to
// end against the Firestore emulator and the FCM emulator: its trigger wrapped by firebase-functions-test
// with its real options and params, the devices seeded as registerDevice leaves them, the pushes read from
// the FCM emulator's message log. No engine file knows of kudos.
//
// The kudos doc is written to Firestore, but the Functions emulator runs index.ts, which does not export
// this kind's trigger: only the wrapped trigger below delivers it.
import { randomUUID } from "node:crypto";
import { Timestamp } from "firebase-admin/firestore";
import functionsTest from "firebase-functions-test";
import { seedDevices } from "../../functions/src/devices/seed";
import { handlePushSlice } from "../../functions/src/functions/sendPushSlice";
import { pushDeps } from "../../functions/src/push/defaults";
import { documentTrigger, handleDocumentEvent } from "../../functions/src/push/kinds/documentTrigger";
import { sendSlice } from "../../functions/src/push/slice";
import type { SliceQueue, SliceTask } from "../../functions/src/push/sliceTask";
import { pushRetryPolicy } from "../../functions/src/params";
import { countsByToken, messagesTo } from "../support/commentPush";
import { adminDb, closeEmulatorConnections, eventually, uniqueToken } from "../support/emulators";
import { KUDOS_CHANNEL, kudosKind } from "../support/kudosKind";

// The trigger and its registry line (docs/kinds.md, steps 1 and 2): in an app, the kind's file ends with
// `export const onKudosCreated = documentTrigger(kudosKind);` and push/kinds/functions.ts gains
// `export { onKudosCreated } from "./kudos/kudos";`. A test cannot add a line to the deployed registry, so
// the trigger is made here; what the registry line adds (slices) is the second test's subject.
const onKudosCreated = documentTrigger(kudosKind);

const fft = functionsTest({ projectId: "demo-push" });
const run = randomUUID().slice(0, 8);
const receiver = `kudos-receiver-${run}`;
const sender = `kudos-sender-${run}`;
const koToken = uniqueToken("kudos-ko");
const enToken = uniqueToken("kudos-en");
const tokens = [koToken, enToken];
const eventIds: string[] = [];

beforeAll(async () => {
  const db = adminDb();
  const now = Timestamp.now();
  await Promise.all([
    db.doc(`users/${sender}`).set({ displayName: "Mina" }),
    seedDevices(db, [
      {
        uid: receiver,
        token: koToken,
        platform: "android",
        locale: "ko-KR",
        createdAt: now,
        lastSeenAt: now,
      },
      { uid: receiver, token: enToken, platform: "ios", locale: "en-US", createdAt: now, lastSeenAt: now },
    ]),
  ]);
});

afterAll(async () => {
  const db = adminDb();
  await Promise.all([
    db.recursiveDelete(db.doc(`users/${receiver}`)),
    db.doc(`users/${sender}`).delete(),
    db.doc(`userDevices/${receiver}`).delete(),
    ...(await db.collection("devices").where("uid", "==", receiver).get()).docs.map((doc) =>
      doc.ref.delete(),
    ),
    ...eventIds.map((id) => db.recursiveDelete(db.doc(`pushDeliveries/${id}`))),
  ]);
  fft.cleanup();
  await closeEmulatorConnections();
});

/** A kudos doc written by `sender` to `receiver`, and its document-created event. */
async function kudos(text: string) {
  const kudosId = `kudos-${randomUUID()}`;
  const data = { fromUid: sender, text, createdAt: Timestamp.now() };
  await adminDb().doc(`users/${receiver}/kudos/${kudosId}`).set(data);
  const id = `event-${randomUUID()}`;
  eventIds.push(id);
  return { kudosId, event: { id, params: { uid: receiver, kudosId }, data } };
}

/** `pushDeliveries/{id}` once it has ended. */
async function endedDelivery(id: string) {
  const read = async () => (await adminDb().doc(`pushDeliveries/${id}`).get()).data();
  return eventually(read, (record) => record !== undefined && record.status !== "sending", 30_000);
}

describe("a push kind added the way docs/kinds.md says", () => {
  it("its wrapped trigger delivers it once, localized, on its channel, recorded as its kind", async () => {
    const { kudosId, event } = await kudos("Great talk today!");
    const trigger = fft.wrap(onKudosCreated);
    // The platform may deliver an event more than once: the engine's gate sends it once.
    await trigger(event);
    await trigger(event);

    expect(await countsByToken(tokens)).toEqual({ [koToken]: 1, [enToken]: 1 });
    const byToken = new Map((await messagesTo(tokens)).map((message) => [message.token, message]));
    const expectedData = { type: "kudos", uid: receiver, kudosId, fromUid: sender };
    expect(byToken.get(koToken)).toMatchObject({
      notification: { title: "Mina님이 칭찬을 보냈습니다", body: "Great talk today!" },
      data: expectedData,
      android: { notification: { channel_id: KUDOS_CHANNEL } },
    });
    expect(byToken.get(enToken)).toMatchObject({
      notification: { title: "Mina sent you kudos", body: "Great talk today!" },
      data: expectedData,
      apns: { payload: { aps: { "thread-id": "kudos" } } },
    });
    expect(await endedDelivery(event.id)).toMatchObject({
      kind: "kudos",
      uid: receiver,
      kudosId,
      status: "done",
      recipients: 1,
      tokens: 2,
      sent: 2,
    });
  });

  it("through slices: refused by sendPushSlice until the kind has its registry line, then sent once", async () => {
    const { kudosId, event } = await kudos("Thanks for the review");
    const tasks: SliceTask[] = [];
    const queue: SliceQueue = {
      enqueue: (task) => {
        tasks.push(JSON.parse(JSON.stringify(task)) as SliceTask);
        return Promise.resolve("enqueued");
      },
    };
    const snapshot = { data: () => event.data };
    // A threshold of 0 sends any audience through slices, as one above PUSH_TASKS_THRESHOLD would be.
    expect(
      await handleDocumentEvent(kudosKind, { ...event, data: snapshot }, { tasks: { threshold: 0, queue } }),
    ).toMatchObject({ kind: "enqueued", slices: 1 });
    const [task] = tasks;
    if (!task) throw new Error("no slice task was enqueued");
    expect(task).toMatchObject({ kind: "kudos", eventId: event.id, content: { kudosId } });

    // sendPushSlice finds a slice's kind in push/kinds/functions.ts, which this test cannot add a line to.
    expect(await handlePushSlice(task)).toEqual({
      kind: "invalid",
      problems: [{ path: "kind", message: 'no push kind named "kudos"' }],
    });
    expect(await countsByToken(tokens)).toMatchObject({ [koToken]: 1, [enToken]: 1 });

    // What sendPushSlice does with a registered kind: the content read by the kind's schema, then the slice
    // sent; a second run of the same task (Cloud Tasks delivers at least once) sends nothing more.
    const deps = await pushDeps({ policy: pushRetryPolicy() });
    const content = kudosKind.content.parse(task.content);
    expect(await sendSlice({ ...task, content }, kudosKind, deps)).toMatchObject({
      kind: "sent",
      status: "done",
      deliveryFinished: true,
    });
    expect(await sendSlice({ ...task, content }, kudosKind, deps)).toMatchObject({ kind: "already-handled" });
    expect(await countsByToken(tokens)).toEqual({ [koToken]: 2, [enToken]: 2 });
    expect(await endedDelivery(event.id)).toMatchObject({
      kind: "kudos",
      fanOut: "tasks",
      status: "done",
      sent: 2,
    });
  });
});
