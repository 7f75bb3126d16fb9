// Writes after the gate, against the Firestore emulator: a run writes its delivery only while it holds it
// (issue: the sweeper ended a delivery while a late run prepared, and the run then wrote `done` over it),
// and a coalesced comment's record never overwrites a record its event already has (issue: a retry that
// decided "too-late" replaced a sending, done or failed record with zero counts).
import { randomUUID } from "node:crypto";
import { deleteApp, initializeApp, type App } from "firebase-admin/app";
import { getFirestore, type Firestore } from "firebase-admin/firestore";
import { DeliveryStore, LeaseLostError } from "../../functions/src/push/store/deliveryStore";
import { SliceStore } from "../../functions/src/push/store/sliceStore";
import { WindowStore } from "../../functions/src/push/kinds/comment/coalesce/windowStore";

const PROJECT = "demo-push-ownership";
let app: App;
let db: Firestore;

beforeAll(() => {
  app = initializeApp({ projectId: PROJECT }, `delivery-ownership-${randomUUID()}`);
  db = getFirestore(app);
});

afterAll(async () => {
  await db.recursiveDelete(db.collection("pushDeliveries"));
  await deleteApp(app);
});

const counts = { recipients: 1, tokens: 2, sent: 2, failed: 0, rejected: 0, retries: 0 };

describe("a run's writes after the gate", () => {
  it("end the delivery while the run holds it", async () => {
    const store = new DeliveryStore(db, { maxAttempts: 5, leaseMs: 60_000 });
    const id = `owned-${randomUUID()}`;
    const gate = await store.begin(id, { kind: "comment", postId: "p", commentId: "c" });
    if (!gate.owned) throw new Error("the first run owns a fresh delivery");
    await store.sendStarting(id, undefined, gate.attempt);
    await store.finish(id, { status: "done", counts }, gate.attempt);
    expect((await store.ref(id).get()).data()).toMatchObject({ status: "done", sent: 2, sendStarted: true });
  });

  it("write nothing once the sweeper ended the delivery, or another run took it over", async () => {
    const store = new DeliveryStore(db, { maxAttempts: 5, leaseMs: 60_000 });
    const swept = `swept-${randomUUID()}`;
    const gate = await store.begin(swept, { kind: "comment", postId: "p", commentId: "c" });
    if (!gate.owned) throw new Error("the first run owns a fresh delivery");
    await store
      .ref(swept)
      .update({ status: "failed", error: "swept: still sending an hour after it was created" });
    await expect(store.finish(swept, { status: "done", counts }, gate.attempt)).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    await expect(store.sendStarting(swept, undefined, gate.attempt)).rejects.toBeInstanceOf(LeaseLostError);
    expect((await store.ref(swept).get()).data()).toMatchObject({ status: "failed", sendStarted: false });

    const taken = `taken-${randomUUID()}`;
    const first = await store.begin(taken, { kind: "comment", postId: "p", commentId: "c" });
    if (!first.owned) throw new Error("the first run owns a fresh delivery");
    await store.ref(taken).update({ attempts: 2 }); // a second run took it over
    await expect(store.abandon(taken, "UNAVAILABLE", first.attempt)).rejects.toBeInstanceOf(LeaseLostError);
    expect((await store.ref(taken).get()).data()).toMatchObject({ status: "sending", attempts: 2 });
  });
});

describe("a coalesced comment's record", () => {
  it("is written once, and never over a record its event already has", async () => {
    const windows = new WindowStore(db);
    const fresh = `coalesced-${randomUUID()}`;
    await windows.recordCoalesced(fresh, { postId: "p", commentId: "c" });
    await windows.recordCoalesced(fresh, { postId: "p", commentId: "c" });
    expect((await db.collection("pushDeliveries").doc(fresh).get()).data()).toMatchObject({
      kind: "comment",
      status: "done",
      coalesced: true,
    });

    const store = new DeliveryStore(db, { maxAttempts: 5, leaseMs: 60_000 });
    const sending = `sending-${randomUUID()}`;
    const gate = await store.begin(sending, { kind: "comment", postId: "p", commentId: "c" });
    if (!gate.owned) throw new Error("the first run owns a fresh delivery");
    await store.sendStarting(sending, { recipients: 3, tokens: 5 }, gate.attempt);
    await windows.recordCoalesced(sending, { postId: "p", commentId: "c" });
    const record = (await store.ref(sending).get()).data();
    expect(record).toMatchObject({ status: "sending", sendStarted: true, recipients: 3, tokens: 5 });
    expect(record).not.toHaveProperty("coalesced");
  });
});

// Issue: every slice counted into its delivery's document in a transaction, at Cloud Tasks' dispatch rate
// (15-30 a second), against about one sustained write a second per document.
describe("slices ending at once", () => {
  it("each count on their own doc, and the delivery ends once, with their sums", async () => {
    const deliveries = new DeliveryStore(db, { maxAttempts: 5, leaseMs: 60_000 });
    const slices = new SliceStore(db, deliveries, { leaseMs: 60_000 });
    const id = `slices-${randomUUID()}`;
    const n = 40;
    const planned = Array.from({ length: n }, (_, index) => ({ index, uids: [`u${index}`], devices: 2 }));
    const gate = await deliveries.begin(id, { kind: "request", requestId: "r" });
    if (!gate.owned) throw new Error("the first run owns a fresh delivery");
    await deliveries.tasksPlanned(id, { recipients: n, audience: 2 * n, slices: planned, content: {} }, 1);
    const ends = await Promise.all(
      planned.map(async (slice) => {
        await slices.begin(id, slice);
        await slices.sendStarting(id, slice.index, 2);
        const counts = { tokens: 2, sent: 2, failed: 0, rejected: 0, retries: 0 };
        return slices.finish(id, slice.index, { status: "done", counts });
      }),
    );
    expect(ends.filter((end) => end !== undefined)).toHaveLength(1);
    expect((await deliveries.ref(id).get()).data()).toMatchObject({
      status: "done",
      recipients: n,
      tokens: 2 * n,
      sent: 2 * n,
      slicesDone: n,
      slicesFailed: 0,
    });
  });
});
