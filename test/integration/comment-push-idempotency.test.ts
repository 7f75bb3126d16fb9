// Exactly once: the comment-push handler run in this process against the Firestore emulator and the
// FCM emulator, with one event delivered twice (one after the other, and at the same time), with a
// retry after a run that failed before sending, and with a run that crashed after sending began.
//
// The data lives in a Firestore project of its own (demo-push-handler), so the Functions emulator's
// trigger (which watches demo-push) does not fire for these comments: the only runs are the test's.
import { randomUUID } from "node:crypto";
import { deleteApp, initializeApp, type App } from "firebase-admin/app";
import { FieldValue, getFirestore, type Firestore } from "firebase-admin/firestore";
import type { Messaging } from "firebase-admin/messaging";
import { pushStoresOn } from "../../functions/src/push/defaults";
import type { CommentCreatedEvent, CommentPushStores } from "../../functions/src/push/kinds/comment/stores";
import { DeviceStore } from "../../functions/src/devices/deviceStore";
import { emulatorMessaging, messagingTargetFromEnv } from "../../functions/src/shared/messaging";
import { handleCommentCreated } from "../../functions/src/functions/onCommentCreated";
import { PostStore } from "../../functions/src/posts/postStore";
import { defaultRetryPolicy } from "../../functions/src/push/domain/retryPolicy";
import { countsByToken, outcomeKind } from "../support/commentPush";
import { PROJECT_ID, uniqueToken } from "../support/emulators";

const HANDLER_PROJECT = "demo-push-handler";
const fastPolicy = { ...defaultRetryPolicy, baseDelayMs: 10, maxDelayMs: 50, budgetMs: 5_000 };

let app: App;
let db: Firestore;
let messaging: Messaging;

beforeAll(() => {
  app = initializeApp({ projectId: HANDLER_PROJECT }, `comment-push-idempotency-${randomUUID()}`);
  db = getFirestore(app);
  const target = messagingTargetFromEnv(process.env);
  if (target.kind !== "emulator") throw new Error("FCM_EMULATOR_HOST is not set: run inside the emulators");
  messaging = emulatorMessaging(target, PROJECT_ID);
});

afterAll(async () => {
  await db.recursiveDelete(db.collection("posts"));
  await Promise.all(
    ["devices", "users", "pushDeliveries"].map((name) => db.recursiveDelete(db.collection(name))),
  );
  await Promise.all([deleteApp(app), deleteApp(messaging.app)]);
});

/** The production stores on this file's Firestore, built once. */
let built: CommentPushStores | undefined;
beforeAll(async () => {
  built = await pushStoresOn(db);
});
const stores = (): CommentPushStores => {
  if (!built) throw new Error("stores not built yet");
  return built;
};

/** A post with an author and a follower, two devices each, and a comment by a third user; and its event. */
async function arrange(): Promise<{ event: CommentCreatedEvent; tokens: string[] }> {
  const [author, follower, commenter] = ["author", "follower", "commenter"].map(
    (who) => `${who}-${randomUUID()}`,
  );
  const postId = `post-${randomUUID()}`;
  const commentId = `comment-${randomUUID()}`;
  const devices = new DeviceStore(db);
  const tokens = [uniqueToken(), uniqueToken(), uniqueToken(), uniqueToken()];
  await Promise.all([
    devices.register({ uid: author ?? "", token: tokens[0] ?? "", platform: "android", locale: "en-US" }),
    devices.register({ uid: author ?? "", token: tokens[1] ?? "", platform: "web" }),
    devices.register({ uid: follower ?? "", token: tokens[2] ?? "", platform: "ios", locale: "ko-KR" }),
    devices.register({ uid: follower ?? "", token: tokens[3] ?? "", platform: "android" }),
    db.doc(`users/${commenter}`).set({ displayName: "Twice" }),
    db
      .doc(`posts/${postId}`)
      .set({ authorId: author, title: "Once", createdAt: FieldValue.serverTimestamp() }),
    db
      .doc(`posts/${postId}/subscribers/${follower}`)
      .set({ muted: false, since: FieldValue.serverTimestamp() }),
  ]);
  const commentRef = db.doc(`posts/${postId}/comments/${commentId}`);
  await commentRef.set({
    authorId: commenter,
    text: "Only once, please",
    createdAt: FieldValue.serverTimestamp(),
  });
  const event: CommentCreatedEvent = {
    id: `event-${randomUUID()}`,
    params: { postId, commentId },
    data: await commentRef.get(),
  };
  return { event, tokens };
}

const once = (tokens: string[]) => Object.fromEntries(tokens.map((token) => [token, 1]));
const deps = () => ({ stores: stores(), sender: messaging, policy: fastPolicy });

describe("one comment-created event handled twice", () => {
  it("one after the other: the second run sends nothing", async () => {
    const { event, tokens } = await arrange();

    const first = await handleCommentCreated(event, deps());
    const second = await handleCommentCreated(event, deps());

    expect(first).toMatchObject({ kind: "delivered", status: "done", counts: { tokens: 4, sent: 4 } });
    expect(second).toEqual({ kind: "already-handled", status: "done" });
    expect(await countsByToken(tokens)).toEqual(once(tokens));
    expect((await db.doc(`pushDeliveries/${event.id}`).get()).data()).toMatchObject({
      status: "done",
      attempts: 1,
      sendStarted: true,
      recipients: 2,
      tokens: 4,
      sent: 4,
    });
  });

  it("at the same time: exactly one run sends", async () => {
    const { event, tokens } = await arrange();

    // One run sends; the other finds the delivery taken, and either sees it started (nothing to do) or,
    // still under the first run's lease with nothing sent, throws so that the platform retries it later.
    const outcomes = await Promise.all([
      outcomeKind(handleCommentCreated(event, deps())),
      outcomeKind(handleCommentCreated(event, deps())),
    ]);

    expect(outcomes.filter((kind) => kind === "delivered")).toHaveLength(1);
    expect(outcomes.filter((kind) => kind !== "delivered")).toEqual([
      expect.stringMatching(/^(already-handled|retry-later)$/) as unknown,
    ]);
    // That retry, once the first run is over, sends nothing.
    expect(await handleCommentCreated(event, deps())).toEqual({ kind: "already-handled", status: "done" });
    expect(await countsByToken(tokens)).toEqual(once(tokens));
  });

  it("after a run that failed before sending: the retry sends, once", async () => {
    const { event, tokens } = await arrange();
    class FlakyPostStore extends PostStore {
      failures = 1;
      override async post(postId: string) {
        if (this.failures-- > 0) throw new Error("Firestore unavailable (simulated)");
        return super.post(postId);
      }
    }
    const flaky = { ...deps(), stores: { ...stores(), posts: new FlakyPostStore(db) } };

    await expect(handleCommentCreated(event, flaky)).rejects.toThrow("simulated");
    expect((await db.doc(`pushDeliveries/${event.id}`).get()).data()).toMatchObject({
      status: "failed",
      sendStarted: false,
      error: "Firestore unavailable (simulated)",
    });
    expect(await countsByToken(tokens)).toEqual(Object.fromEntries(tokens.map((token) => [token, 0])));

    // What Cloud Functions does with a rethrown error and `retry: true`: the same event again.
    expect(await handleCommentCreated(event, flaky)).toMatchObject({ kind: "delivered", status: "done" });
    expect(await handleCommentCreated(event, flaky)).toEqual({ kind: "already-handled", status: "done" });
    expect(await countsByToken(tokens)).toEqual(once(tokens));
    expect((await db.doc(`pushDeliveries/${event.id}`).get()).data()).toMatchObject({ attempts: 2 });
  });

  it("after a run that crashed while sending: nothing is sent again", async () => {
    const { event, tokens } = await arrange();
    await db.doc(`pushDeliveries/${event.id}`).create({
      postId: event.params.postId,
      commentId: event.params.commentId,
      status: "sending",
      attempts: 1,
      sendStarted: true,
      createdAt: FieldValue.serverTimestamp(),
    });

    expect(await handleCommentCreated(event, deps())).toEqual({ kind: "already-handled", status: "sending" });
    expect(await countsByToken(tokens)).toEqual(Object.fromEntries(tokens.map((token) => [token, 0])));
  });
});
