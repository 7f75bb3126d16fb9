// sweepDeliveries against the Firestore emulator (its run() through firebase-functions-test, and on demand in
// the Functions emulator as an operator would run it), and the credential breaker across real deliveries
// to the FCM emulator (tokens starting "mismatch" answer 403 SENDER_ID_MISMATCH).
import { randomUUID } from "node:crypto";
import { Timestamp } from "firebase-admin/firestore";
import functionsTest from "firebase-functions-test";
import { sweepDeliveries } from "../../functions/src/index";
import type { CredentialBreaker } from "../../functions/src/push/breaker";
import { BreakerStore } from "../../functions/src/push/store/breakerStore";
import { deviceIdOf } from "../../functions/src/devices/deviceId";
import { seedDevices } from "../../functions/src/devices/seed";
import { handleCommentCreated } from "../../functions/src/functions/onCommentCreated";
import { adminDb, closeEmulatorConnections, uniqueToken } from "../support/emulators";

const fft = functionsTest({ projectId: "demo-push" });
const run = randomUUID().slice(0, 8);
const made: string[] = [];

afterAll(async () => {
  fft.cleanup();
  const db = adminDb();
  await Promise.all(made.map((path) => db.recursiveDelete(db.doc(path))));
  await closeEmulatorConnections();
});

const ago = (ms: number) => Timestamp.fromMillis(Date.now() - ms);
const later = (ms: number) => Timestamp.fromMillis(Date.now() + ms);

async function put(path: string, data: Record<string, unknown>) {
  made.push(path.split("/").slice(0, 2).join("/"));
  await adminDb().doc(path).set(data);
}

const read = async (path: string) => (await adminDb().doc(path).get()).data();

const base = (id: string) => ({ postId: `p-${id}`, commentId: `c-${id}`, attempts: 1 });

describe("sweepDeliveries", () => {
  it("ends what is sending past its deadline, says why, and leaves the rest alone (its run())", async () => {
    const crashed = `sweep-crashed-${run}`;
    const leased = `sweep-leased-${run}`;
    const old = `sweep-old-${run}`;
    const tasks = `sweep-tasks-${run}`;
    await Promise.all([
      // Its run died while sending: lease over, nothing will ever end it.
      put(`pushDeliveries/${crashed}`, {
        ...base(crashed),
        status: "sending",
        sendStarted: true,
        fanOut: "direct",
        recipients: 3,
        tokens: 3,
        createdAt: ago(60_000),
        leaseExpiresAt: ago(1_000),
      }),
      // A live run holds it: left alone.
      put(`pushDeliveries/${leased}`, {
        ...base(leased),
        status: "sending",
        sendStarted: false,
        createdAt: ago(10_000),
        leaseExpiresAt: later(500_000),
      }),
      // From before leases, an hour old.
      put(`pushDeliveries/${old}`, { ...base(old), status: "sending", createdAt: ago(61 * 60_000) }),
      // Through tasks: slice 0 ended, slice 1's run died while sending.
      put(`pushDeliveries/${tasks}`, {
        ...base(tasks),
        status: "sending",
        sendStarted: true,
        fanOut: "tasks",
        enqueueing: false,
        recipients: 8,
        audience: 8,
        slices: 2,
        slicesDone: 1,
        slicesFailed: 0,
        tokens: 3,
        sent: 3,
        failed: 0,
        rejected: 0,
        retries: 0,
        createdAt: ago(120_000),
        leaseExpiresAt: ago(1_000),
      }),
    ]);
    // Slice 0 ended and counted itself (the delivery's totals are its slices' sums).
    await adminDb()
      .doc(`pushDeliveries/${tasks}/slices/0`)
      .set({
        index: 0,
        status: "done",
        attempts: 1,
        sendStarted: true,
        planned: 3,
        uids: 3,
        tokens: 3,
        sent: 3,
        failed: 0,
        rejected: 0,
        retries: 0,
        counted: true,
        createdAt: ago(100_000),
      });
    await adminDb()
      .doc(`pushDeliveries/${tasks}/slices/1`)
      .set({
        index: 1,
        status: "sending",
        attempts: 1,
        sendStarted: true,
        planned: 5,
        uids: 5,
        tokens: 5,
        createdAt: ago(100_000),
        leaseExpiresAt: ago(1_000),
      });

    await sweepDeliveries.run({ scheduleTime: new Date().toISOString() });

    expect(await read(`pushDeliveries/${crashed}`)).toMatchObject({
      status: "failed",
      unknown: 3,
      error: expect.stringMatching(/stopped .* fate of 3 messages is unknown/) as unknown,
    });
    expect(await read(`pushDeliveries/${leased}`)).toMatchObject({ status: "sending" });
    expect(await read(`pushDeliveries/${old}`)).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/an hour after it was created/) as unknown,
    });
    expect(await read(`pushDeliveries/${tasks}/slices/1`)).toMatchObject({
      status: "failed",
      counted: true,
      unknown: 5,
    });
    // The swept slice was its last: the delivery ended, counted once.
    expect(await read(`pushDeliveries/${tasks}`)).toMatchObject({
      status: "failed",
      slicesDone: 2,
      slicesFailed: 1,
      tokens: 8,
      sent: 3,
      unknown: 5,
    });

    // A second sweep changes nothing (each end is a transaction that re-decides).
    const before = await read(`pushDeliveries/${tasks}`);
    await sweepDeliveries.run({ scheduleTime: new Date().toISOString() });
    expect(await read(`pushDeliveries/${tasks}`)).toEqual(before);
  });

  // Issue: a slice's count committed but ending the delivery threw; the delivery stayed `sending` until the
  // one-hour sweep failed it ("its slices did not all end") although every slice had ended.
  it("ends a delivery through tasks whose slices all counted themselves, at the next sweep, from their counts", async () => {
    const tasks = `sweep-counted-${run}`;
    await put(`pushDeliveries/${tasks}`, {
      ...base(tasks),
      status: "sending",
      sendStarted: true,
      fanOut: "tasks",
      enqueueing: false,
      recipients: 5,
      audience: 6,
      slices: 2,
      createdAt: ago(120_000),
      leaseExpiresAt: ago(1_000),
    });
    const slice = (index: number, sent: number, rejected: number) =>
      adminDb()
        .doc(`pushDeliveries/${tasks}/slices/${index}`)
        .set({
          index,
          status: "done",
          attempts: 1,
          sendStarted: true,
          planned: sent + rejected,
          uids: 3,
          tokens: sent + rejected,
          sent,
          failed: 0,
          rejected,
          retries: 1,
          counted: true,
          createdAt: ago(100_000),
        });
    await Promise.all([slice(0, 3, 0), slice(1, 2, 1)]);

    await sweepDeliveries.run({ scheduleTime: new Date().toISOString() });

    expect(await read(`pushDeliveries/${tasks}`)).toMatchObject({
      status: "done",
      recipients: 5,
      tokens: 6,
      sent: 5,
      failed: 0,
      rejected: 1,
      retries: 2,
      slicesDone: 2,
      slicesFailed: 0,
    });
  });

  it("runs on demand in the Functions emulator (POST .../sweepDeliveries-0)", async () => {
    const crashed = `sweep-http-${run}`;
    await put(`pushDeliveries/${crashed}`, {
      ...base(crashed),
      status: "sending",
      sendStarted: true,
      tokens: 2,
      createdAt: ago(60_000),
      leaseExpiresAt: ago(1_000),
    });
    const response = await fetch("http://127.0.0.1:5001/demo-push/us-central1/sweepDeliveries-0", {
      method: "POST",
    });
    expect(response.status).toBe(200);
    expect(await read(`pushDeliveries/${crashed}`)).toMatchObject({ status: "failed", unknown: 2 });
  });
});

describe("the credential breaker across deliveries", () => {
  const windowMs = 600_000;
  // A window of its own, far from the present, so other tests' answers do not count in it.
  const nowMs = Date.UTC(2090, 0, 1) + Math.floor(Math.random() * 1e6) * windowMs;
  const breaker = (): CredentialBreaker => {
    const store = new BreakerStore(adminDb(), windowMs);
    return {
      settings: { windowMs, minAnswers: 20, share: 0.5 },
      count: (now, counts) => store.count(now, counts),
      read: (now) => store.read(now),
      now: () => nowMs,
    };
  };

  afterAll(async () => {
    const db = adminDb();
    await Promise.all(
      [0, 1, 10, 11].map((w) =>
        db.recursiveDelete(
          db.doc(`pushBreaker/${Math.floor(nowMs / windowMs) * windowMs + (w - 1) * windowMs}`),
        ),
      ),
    );
  });

  it("a stream of small deliveries answered SENDER_ID_MISMATCH stops marking tokens once it dominates", async () => {
    const db = adminDb();
    const postId = `breaker-post-${run}`;
    const commenter = `breaker-commenter-${run}`;
    const follower = `breaker-follower-${run}`;
    made.push(`posts/${postId}`, `users/${commenter}`);
    await Promise.all([
      db.doc(`users/${commenter}`).set({ displayName: "Breaker" }),
      db
        .doc(`posts/${postId}`)
        .set({ authorId: `breaker-author-${run}`, title: "B", createdAt: Timestamp.now() }),
      db.doc(`posts/${postId}/subscribers/${follower}`).set({ muted: false, since: Timestamp.now() }),
    ]);
    const marked: boolean[] = [];
    for (let i = 0; i < 9; i++) {
      // Each comment reaches 3 devices of a broken configuration: below the per-delivery guard's 10.
      const tokens = [0, 1, 2].map(() => uniqueToken(`mismatch-${run}`));
      await seedDevices(
        db,
        tokens.map((token) => ({
          uid: follower,
          token,
          platform: "android",
          createdAt: Timestamp.now(),
          lastSeenAt: Timestamp.now(),
        })),
      );
      tokens.forEach((token) => made.push(`devices/${deviceIdOf(token)}`));
      const eventId = `breaker-event-${run}-${i}`;
      made.push(`pushDeliveries/${eventId}`);
      await handleCommentCreated(
        {
          id: eventId,
          params: { postId, commentId: `breaker-comment-${run}-${i}` },
          data: { data: () => ({ authorId: commenter, text: "hi", createdAt: Timestamp.now() }) },
        },
        // Every comment its own fan-out: coalescing (docs/coalescing.md) would fold these into one digest.
        { breaker: breaker(), coalescing: { windowMs: 0 } },
      );
      const docs = await Promise.all(tokens.map((t) => db.doc(`devices/${deviceIdOf(t)}`).get()));
      marked.push(docs.every((doc) => doc.get("rejected") !== undefined));
      // The tokens are no longer the follower's: the next comment reaches only the new ones.
      await Promise.all([...docs.map((doc) => doc.ref.delete()), db.doc(`userDevices/${follower}`).delete()]);
      if (i === 8) {
        expect(await read(`pushDeliveries/${eventId}`)).toMatchObject({
          status: "failed",
          rejected: 0,
          failed: 3,
          error: expect.stringMatching(/mismatch-guarded ×3/) as unknown,
        });
      }
    }
    // 20 answers are needed before it can tell: the first 6 deliveries (18 answers) mark; then none.
    expect(marked).toEqual([true, true, true, true, true, true, false, false, false]);
  });

  it("a lone mismatch among healthy answers is still marked", async () => {
    const store = new BreakerStore(adminDb(), windowMs);
    const healthyNow = nowMs + 10 * windowMs;
    await store.count(healthyNow, { answers: 200, mismatches: 0 });
    await store.count(healthyNow, { answers: 1, mismatches: 1 });
    expect(await store.read(healthyNow)).toEqual({ answers: 201, mismatches: 1 });
  });
});
