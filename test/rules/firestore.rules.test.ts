/**
 * Security rules (firestore.rules) against the Firestore emulator, through the client SDK as an app would
 * call it. For every collection of the data model (docs/api.md): what a signed-in owner may do, what another user and an
 * anonymous visitor may not, and the shape each write must have.
 *
 * One file on purpose: every test clears the same emulator project ("demo-rules", never "demo-push", so no
 * Cloud Functions trigger of the project fires), and test files run in parallel.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  assertFails,
  assertSucceeds,
  initializeTestEnvironment,
  type RulesTestContext,
  type RulesTestEnvironment,
} from "@firebase/rules-unit-testing";
import {
  collection,
  deleteDoc,
  deleteField,
  doc,
  getDoc,
  getDocs,
  serverTimestamp,
  setDoc,
  setLogLevel,
  Timestamp,
  updateDoc,
  type DocumentData,
} from "firebase/firestore";

type ClientDb = ReturnType<RulesTestContext["firestore"]>;

const ALICE = "alice";
const BOB = "bob";
const POST = "posts/post-1";
/** When arranged documents were written: fixed, so a client rewriting it to any other time changes it. */
const EARLIER = Timestamp.fromDate(new Date("2025-01-01T00:00:00Z"));

let env: RulesTestEnvironment;

/** `FIRESTORE_EMULATOR_HOST` ("host:port") as set by `firebase emulators:exec`, else firebase.json's port. */
function emulatorAddress(): { host: string; port: number } {
  const address = process.env.FIRESTORE_EMULATOR_HOST ?? "127.0.0.1:8080";
  const separator = address.lastIndexOf(":");
  return { host: address.slice(0, separator), port: Number(address.slice(separator + 1)) };
}

/** The client SDK of a user signed in as `uid`, or of an anonymous visitor when `uid` is omitted. */
function clientOf(uid?: string): ClientDb {
  const context = uid === undefined ? env.unauthenticatedContext() : env.authenticatedContext(uid);
  return context.firestore();
}

/** Writes documents as the server would (Admin SDK), without rules. */
async function arrange(documents: Record<string, DocumentData>): Promise<void> {
  await env.withSecurityRulesDisabled(async (context) => {
    const db = context.firestore();
    for (const [path, data] of Object.entries(documents)) {
      await setDoc(doc(db, path), data);
    }
  });
}

function chars(count: number): string {
  return "x".repeat(count);
}

beforeAll(async () => {
  setLogLevel("error");
  env = await initializeTestEnvironment({
    projectId: "demo-rules",
    firestore: {
      rules: readFileSync(resolve(__dirname, "../../firestore.rules"), "utf8"),
      ...emulatorAddress(),
    },
  });
});

afterEach(async () => {
  await env.clearFirestore();
});

afterAll(async () => {
  await env.cleanup();
});

/** The other callers who must be refused what only the owner may do. */
const strangers: [string, () => ClientDb][] = [
  ["another user", () => clientOf(BOB)],
  ["an anonymous visitor", () => clientOf()],
];

describe("users/{uid}", () => {
  const alicePath = `users/${ALICE}`;

  describe("the signed-in owner", () => {
    it("creates their profile with a display name only", async () => {
      await assertSucceeds(setDoc(doc(clientOf(ALICE), alicePath), { displayName: "Alice" }));
    });

    it("may not write notification preferences into their profile (only setNotificationPreferences does)", async () => {
      const db = clientOf(ALICE);
      await assertFails(
        setDoc(doc(db, alicePath), { displayName: "Alice", notifications: { comments: false } }),
      );
      await assertFails(setDoc(doc(db, alicePath), { displayName: "Alice", notifications: {} }));
      await arrange({ [alicePath]: { displayName: "Alice" } });
      await assertFails(updateDoc(doc(db, alicePath), { "notifications.comments": false }));
      await assertFails(setDoc(doc(db, alicePath), { notifications: { comments: false } }, { merge: true }));
    });

    it("updates their display name", async () => {
      await arrange({ [alicePath]: { displayName: "Alice" } });
      const db = clientOf(ALICE);
      await assertSucceeds(updateDoc(doc(db, alicePath), { displayName: "Alice B." }));
    });

    it("deletes their profile", async () => {
      await arrange({ [alicePath]: { displayName: "Alice" } });
      await assertSucceeds(deleteDoc(doc(clientOf(ALICE), alicePath)));
    });

    it.each([
      ["1 character", chars(1)],
      ["80 characters", chars(80)],
    ])("may use a display name of %s", async (_, displayName) => {
      await assertSucceeds(setDoc(doc(clientOf(ALICE), alicePath), { displayName }));
    });

    it.each<[string, DocumentData]>([
      ["an empty display name", { displayName: "" }],
      ["a display name of 81 characters", { displayName: chars(81) }],
      ["a display name that is not a string", { displayName: 42 }],
      ["no display name", {}],
      ["an unknown key", { displayName: "Alice", role: "admin" }],
    ])("may not write a profile with %s", async (_, data) => {
      await assertFails(setDoc(doc(clientOf(ALICE), alicePath), data));
    });

    it("may not update their profile into an invalid one", async () => {
      await arrange({ [alicePath]: { displayName: "Alice" } });
      const db = clientOf(ALICE);
      await assertFails(updateDoc(doc(db, alicePath), { displayName: "" }));
      await assertFails(updateDoc(doc(db, alicePath), { displayName: deleteField() }));
      await assertFails(updateDoc(doc(db, alicePath), { isAdmin: true }));
    });
  });

  it("any signed-in user reads and lists profiles", async () => {
    await arrange({ [alicePath]: { displayName: "Alice" } });
    const db = clientOf(BOB);
    await assertSucceeds(getDoc(doc(db, alicePath)));
    await assertSucceeds(getDocs(collection(db, "users")));
  });

  it("an anonymous visitor may not read or list profiles", async () => {
    await arrange({ [alicePath]: { displayName: "Alice" } });
    const db = clientOf();
    await assertFails(getDoc(doc(db, alicePath)));
    await assertFails(getDocs(collection(db, "users")));
  });

  it.each(strangers)("%s may not create, update or delete someone else's profile", async (_, client) => {
    await assertFails(setDoc(doc(client(), alicePath), { displayName: "Mallory" }));
    await arrange({ [alicePath]: { displayName: "Alice" } });
    await assertFails(updateDoc(doc(client(), alicePath), { displayName: "Mallory" }));
    await assertFails(deleteDoc(doc(client(), alicePath)));
  });
});

describe("users/{uid}/followers/{followerUid}", () => {
  // Bob follows Alice: the doc is Alice's follower list entry for Bob.
  const bobFollowsAlice = `users/${ALICE}/followers/${BOB}`;
  const storedFollow = { createdAt: EARLIER };
  const CAROL = "carol";

  it("the follower creates it with createdAt at the request time", async () => {
    await assertSucceeds(setDoc(doc(clientOf(BOB), bobFollowsAlice), { createdAt: serverTimestamp() }));
  });

  it.each<[string, () => ClientDb, string]>([
    ["the followed user, naming someone else as follower", () => clientOf(ALICE), bobFollowsAlice],
    ["a third user, naming someone else as follower", () => clientOf(CAROL), bobFollowsAlice],
    ["an anonymous visitor", () => clientOf(), bobFollowsAlice],
    ["a user following themselves", () => clientOf(ALICE), `users/${ALICE}/followers/${ALICE}`],
  ])("%s may not create it", async (_, client, path) => {
    await assertFails(setDoc(doc(client(), path), { createdAt: serverTimestamp() }));
  });

  it.each<[string, DocumentData]>([
    ["a client-supplied createdAt Timestamp", { createdAt: Timestamp.now() }],
    ["a client-supplied createdAt Date", { createdAt: new Date() }],
    ["no createdAt", {}],
    ["an unknown key", { createdAt: serverTimestamp(), note: "hi" }],
  ])("a follow with %s is refused", async (_, data) => {
    await assertFails(setDoc(doc(clientOf(BOB), bobFollowsAlice), data));
  });

  it.each<[string, string]>([
    ["the follower", BOB],
    ["the followed user", ALICE],
  ])("%s may delete it", async (_, uid) => {
    await arrange({ [bobFollowsAlice]: storedFollow });
    await assertSucceeds(deleteDoc(doc(clientOf(uid), bobFollowsAlice)));
  });

  it.each<[string, () => ClientDb]>([
    ["a third user", () => clientOf(CAROL)],
    ["an anonymous visitor", () => clientOf()],
  ])("%s may not delete it", async (_, client) => {
    await arrange({ [bobFollowsAlice]: storedFollow });
    await assertFails(deleteDoc(doc(client(), bobFollowsAlice)));
  });

  it.each<[string, () => ClientDb]>([
    ["the follower", () => clientOf(BOB)],
    ["the followed user", () => clientOf(ALICE)],
    ["a third user", () => clientOf(CAROL)],
  ])("nobody updates it: not %s", async (_, client) => {
    await arrange({ [bobFollowsAlice]: storedFollow });
    await assertFails(updateDoc(doc(client(), bobFollowsAlice), { createdAt: serverTimestamp() }));
    await assertFails(setDoc(doc(client(), bobFollowsAlice), { createdAt: serverTimestamp() }));
  });

  it("any signed-in user reads and lists followers; an anonymous visitor does not", async () => {
    await arrange({ [bobFollowsAlice]: storedFollow });
    await assertSucceeds(getDoc(doc(clientOf(CAROL), bobFollowsAlice)));
    await assertSucceeds(getDocs(collection(clientOf(CAROL), `users/${ALICE}/followers`)));
    await assertFails(getDoc(doc(clientOf(), bobFollowsAlice)));
    await assertFails(getDocs(collection(clientOf(), `users/${ALICE}/followers`)));
  });
});

describe("posts/{postId}", () => {
  const newPost = (overrides: DocumentData = {}): DocumentData => ({
    authorId: ALICE,
    title: "Hello",
    createdAt: serverTimestamp(),
    ...overrides,
  });
  const storedPost = { authorId: ALICE, title: "Hello", createdAt: EARLIER };

  it("a signed-in user creates a post as its author at the request time", async () => {
    await assertSucceeds(setDoc(doc(clientOf(ALICE), POST), newPost()));
  });

  it.each([
    ["1 character", chars(1)],
    ["200 characters", chars(200)],
  ])("a title may have %s", async (_, title) => {
    await assertSucceeds(setDoc(doc(clientOf(ALICE), POST), newPost({ title })));
  });

  it.each<[string, DocumentData]>([
    ["an empty title", newPost({ title: "" })],
    ["a title of 201 characters", newPost({ title: chars(201) })],
    ["a title that is not a string", newPost({ title: ["Hello"] })],
    ["another user as its author", newPost({ authorId: BOB })],
    ["a client-supplied createdAt", newPost({ createdAt: Timestamp.now() })],
    ["no createdAt", { authorId: ALICE, title: "Hello" }],
    ["no authorId", { title: "Hello", createdAt: serverTimestamp() }],
    ["an unknown key", newPost({ pinned: true })],
  ])("a post with %s is refused", async (_, data) => {
    await assertFails(setDoc(doc(clientOf(ALICE), POST), data));
  });

  it("a post id may have 128 characters, not 129 (ids go into every push: FCM's 4 KB limit)", async () => {
    await assertSucceeds(setDoc(doc(clientOf(ALICE), `posts/${chars(128)}`), newPost()));
    await assertFails(setDoc(doc(clientOf(ALICE), `posts/${chars(129)}`), newPost()));
  });

  it("an anonymous visitor may not create a post", async () => {
    await assertFails(setDoc(doc(clientOf(), POST), newPost()));
  });

  it("any signed-in user reads and lists posts", async () => {
    await arrange({ [POST]: storedPost });
    const db = clientOf(BOB);
    await assertSucceeds(getDoc(doc(db, POST)));
    await assertSucceeds(getDocs(collection(db, "posts")));
  });

  it("an anonymous visitor may not read or list posts", async () => {
    await arrange({ [POST]: storedPost });
    const db = clientOf();
    await assertFails(getDoc(doc(db, POST)));
    await assertFails(getDocs(collection(db, "posts")));
  });

  it("the author deletes their post", async () => {
    await arrange({ [POST]: storedPost });
    await assertSucceeds(deleteDoc(doc(clientOf(ALICE), POST)));
  });

  it("nobody updates a post, not even its author", async () => {
    await arrange({ [POST]: storedPost });
    await assertFails(updateDoc(doc(clientOf(ALICE), POST), { title: "Edited" }));
    await assertFails(setDoc(doc(clientOf(ALICE), POST), newPost({ title: "Edited" })));
  });

  it.each(strangers)("%s may not update or delete the author's post", async (_, client) => {
    await arrange({ [POST]: storedPost });
    await assertFails(updateDoc(doc(client(), POST), { title: "Defaced" }));
    await assertFails(deleteDoc(doc(client(), POST)));
  });
});

describe("posts/{postId}/comments/{commentId}", () => {
  const commentPath = `${POST}/comments/comment-1`;
  const newComment = (overrides: DocumentData = {}): DocumentData => ({
    authorId: BOB,
    text: "Nice post",
    createdAt: serverTimestamp(),
    ...overrides,
  });
  const storedComment = { authorId: BOB, text: "Nice post", createdAt: EARLIER };

  beforeEach(async () => {
    await arrange({ [POST]: { authorId: ALICE, title: "Hello", createdAt: EARLIER } });
  });

  it("a signed-in user comments as its author at the request time", async () => {
    await assertSucceeds(setDoc(doc(clientOf(BOB), commentPath), newComment()));
  });

  it.each([
    ["1 character", chars(1)],
    ["2000 characters", chars(2000)],
  ])("a comment text may have %s", async (_, text) => {
    await assertSucceeds(setDoc(doc(clientOf(BOB), commentPath), newComment({ text })));
  });

  it.each<[string, DocumentData]>([
    ["an empty text", newComment({ text: "" })],
    ["a text of 2001 characters", newComment({ text: chars(2001) })],
    ["a text that is not a string", newComment({ text: 7 })],
    ["another user as its author", newComment({ authorId: ALICE })],
    ["no authorId", { text: "Nice post", createdAt: serverTimestamp() }],
    ["a client-supplied createdAt Timestamp", newComment({ createdAt: Timestamp.now() })],
    ["a client-supplied createdAt Date", newComment({ createdAt: new Date() })],
    ["no createdAt", { authorId: BOB, text: "Nice post" }],
    ["an unknown key", newComment({ authorName: "Bob" })],
  ])("a comment with %s is refused", async (_, data) => {
    await assertFails(setDoc(doc(clientOf(BOB), commentPath), data));
  });

  it("a comment id may have 128 characters, not 129 (ids go into every push: FCM's 4 KB limit)", async () => {
    await assertSucceeds(setDoc(doc(clientOf(BOB), `${POST}/comments/${chars(128)}`), newComment()));
    await assertFails(setDoc(doc(clientOf(BOB), `${POST}/comments/${chars(129)}`), newComment()));
  });

  it("a comment under a post that does not exist is refused", async () => {
    await assertFails(setDoc(doc(clientOf(BOB), "posts/no-such-post/comments/comment-1"), newComment()));
  });

  it("an anonymous visitor may not comment", async () => {
    await assertFails(setDoc(doc(clientOf(), commentPath), newComment()));
  });

  it("any signed-in user reads and lists comments", async () => {
    await arrange({ [commentPath]: storedComment });
    const db = clientOf(ALICE);
    await assertSucceeds(getDoc(doc(db, commentPath)));
    await assertSucceeds(getDocs(collection(db, POST, "comments")));
  });

  it("an anonymous visitor may not read or list comments", async () => {
    await arrange({ [commentPath]: storedComment });
    const db = clientOf();
    await assertFails(getDoc(doc(db, commentPath)));
    await assertFails(getDocs(collection(db, POST, "comments")));
  });

  it("the author deletes their comment", async () => {
    await arrange({ [commentPath]: storedComment });
    await assertSucceeds(deleteDoc(doc(clientOf(BOB), commentPath)));
  });

  it("nobody updates a comment, not even its author", async () => {
    await arrange({ [commentPath]: storedComment });
    await assertFails(updateDoc(doc(clientOf(BOB), commentPath), { text: "Edited" }));
    await assertFails(setDoc(doc(clientOf(BOB), commentPath), newComment({ text: "Edited" })));
  });

  it.each<[string, () => ClientDb]>([
    ["another user (even the post's author)", () => clientOf(ALICE)],
    ["an anonymous visitor", () => clientOf()],
  ])("%s may not update or delete the author's comment", async (_, client) => {
    await arrange({ [commentPath]: storedComment });
    await assertFails(updateDoc(doc(client(), commentPath), { text: "Defaced" }));
    await assertFails(deleteDoc(doc(client(), commentPath)));
  });
});

describe("posts/{postId}/subscribers/{uid}", () => {
  const aliceSubscription = `${POST}/subscribers/${ALICE}`;
  const storedSubscription = { muted: false, since: EARLIER };

  beforeEach(async () => {
    await arrange({ [POST]: { authorId: BOB, title: "Hello", createdAt: EARLIER } });
  });

  describe("the signed-in owner", () => {
    it.each([false, true])("subscribes themselves with muted %s since the request time", async (muted) => {
      await assertSucceeds(
        setDoc(doc(clientOf(ALICE), aliceSubscription), { muted, since: serverTimestamp() }),
      );
    });

    it.each<[string, DocumentData]>([
      ["a client-supplied since", { muted: false, since: Timestamp.now() }],
      ["no since", { muted: false }],
      ["no muted", { since: serverTimestamp() }],
      ["muted that is not a boolean", { muted: "yes", since: serverTimestamp() }],
      ["an unknown key", { muted: false, since: serverTimestamp(), digest: "daily" }],
    ])("may not subscribe with %s", async (_, data) => {
      await assertFails(setDoc(doc(clientOf(ALICE), aliceSubscription), data));
    });

    it("may not subscribe to a post that does not exist", async () => {
      await assertFails(
        setDoc(doc(clientOf(ALICE), `posts/no-such-post/subscribers/${ALICE}`), {
          muted: false,
          since: serverTimestamp(),
        }),
      );
    });

    it("reads their own subscription", async () => {
      await arrange({ [aliceSubscription]: storedSubscription });
      await assertSucceeds(getDoc(doc(clientOf(ALICE), aliceSubscription)));
    });

    it("mutes and unmutes the subscription the server made for them", async () => {
      await arrange({ [aliceSubscription]: storedSubscription });
      const db = clientOf(ALICE);
      await assertSucceeds(updateDoc(doc(db, aliceSubscription), { muted: true }));
      await assertSucceeds(updateDoc(doc(db, aliceSubscription), { muted: false }));
      await assertSucceeds(setDoc(doc(db, aliceSubscription), { muted: true }, { merge: true }));
    });

    it.each<[string, DocumentData]>([
      ["since", { since: Timestamp.fromMillis(EARLIER.toMillis() + 1000) }],
      ["since to the request time", { since: serverTimestamp() }],
      ["muted and since together", { muted: true, since: Timestamp.fromMillis(EARLIER.toMillis() + 1000) }],
      ["muted to a non-boolean", { muted: "yes" }],
      ["muted away", { muted: deleteField() }],
      ["an unknown key", { digest: "daily" }],
    ])("may not update %s", async (_, data) => {
      await arrange({ [aliceSubscription]: storedSubscription });
      await assertFails(updateDoc(doc(clientOf(ALICE), aliceSubscription), data));
    });

    it("may not unsubscribe by deleting the doc (muted is the way)", async () => {
      await arrange({ [aliceSubscription]: storedSubscription });
      await assertFails(deleteDoc(doc(clientOf(ALICE), aliceSubscription)));
    });

    it("may not list the post's subscribers", async () => {
      await arrange({ [aliceSubscription]: storedSubscription });
      await assertFails(getDocs(collection(clientOf(ALICE), POST, "subscribers")));
    });
  });

  it.each(strangers)(
    "%s may not read, create, update or delete someone else's subscription",
    async (_, client) => {
      await assertFails(setDoc(doc(client(), aliceSubscription), { muted: true, since: serverTimestamp() }));
      await arrange({ [aliceSubscription]: storedSubscription });
      await assertFails(getDoc(doc(client(), aliceSubscription)));
      await assertFails(getDocs(collection(client(), POST, "subscribers")));
      await assertFails(updateDoc(doc(client(), aliceSubscription), { muted: true }));
      await assertFails(deleteDoc(doc(client(), aliceSubscription)));
    },
  );
});

describe.each([
  [
    "devices/{deviceId}",
    "devices",
    { uid: ALICE, token: "token-of-alice", platform: "android", locale: "en-US", appVersion: "1.0.0" },
  ],
  [
    "userDevices/{uid}",
    "userDevices",
    { devices: { "device-1": { token: "token-of-alice", platform: "android", locale: null } } },
  ],
  [
    "pushDeliveries/{eventId}",
    "pushDeliveries",
    { postId: "post-1", commentId: "comment-1", status: "done" },
  ],
  ["pushWindows/{postId}", "pushWindows", { windows: [], status: "open" }],
  [
    "pushRequests/{requestId}",
    "pushRequests",
    { toUids: [ALICE], title: "Hello", delivery: { state: "SUCCESS" }, status: "done" },
  ],
  [
    "pushFollowNotices/{noticeId}",
    "pushFollowNotices",
    { uid: ALICE, followerUid: BOB, deliveryId: "event-1", at: EARLIER },
  ],
  ["posts/{postId}/roster/{shard}", `${POST}/roster`, { uids: [ALICE, BOB] }],
])("%s is unreachable from any client", (_, collectionId, data) => {
  const path = `${collectionId}/doc-1`;

  it.each<[string, () => ClientDb]>([
    ["the user it concerns", () => clientOf(ALICE)],
    ["another user", () => clientOf(BOB)],
    ["an anonymous visitor", () => clientOf()],
  ])("%s may not get, list, create, update or delete", async (__, client) => {
    await assertFails(setDoc(doc(client(), `${collectionId}/new-doc`), data));
    await arrange({ [path]: data });
    await assertFails(getDoc(doc(client(), path)));
    await assertFails(getDocs(collection(client(), collectionId)));
    await assertFails(updateDoc(doc(client(), path), { status: "failed" }));
    await assertFails(setDoc(doc(client(), path), data));
    await assertFails(deleteDoc(doc(client(), path)));
  });
});

describe("notifications/{uid} and its feed items", () => {
  const mine = `notifications/${ALICE}`;
  const item = `${mine}/items/item-1`;
  const preferences = {
    kinds: { comments: true, follows: false, announcements: true },
    quietHours: { start: "22:00", end: "07:00", timeZone: "Asia/Seoul" },
  };
  const feedItem = {
    kind: "comment",
    title: "Bob commented",
    body: "Hi",
    data: {},
    read: false,
    createdAt: EARLIER,
  };

  it("the owner gets their notifications doc and gets and lists their items", async () => {
    await arrange({ [mine]: { unread: 1, preferences }, [item]: feedItem });
    const db = clientOf(ALICE);
    await assertSucceeds(getDoc(doc(db, mine)));
    await assertSucceeds(getDoc(doc(db, item)));
    await assertSucceeds(getDocs(collection(db, `${mine}/items`)));
  });

  it.each(strangers)("%s may not get the doc, nor get or list the items", async (_, client) => {
    await arrange({ [mine]: { unread: 1, preferences }, [item]: feedItem });
    await assertFails(getDoc(doc(client(), mine)));
    await assertFails(getDoc(doc(client(), item)));
    await assertFails(getDocs(collection(client(), `${mine}/items`)));
    await assertFails(getDocs(collection(client(), "notifications")));
  });

  it.each<[string, () => ClientDb]>([["the owner", () => clientOf(ALICE)], ...strangers])(
    "%s may not create, update or delete the doc or an item",
    async (_, client) => {
      await assertFails(setDoc(doc(client(), mine), { preferences }));
      await assertFails(setDoc(doc(client(), item), feedItem));
      await arrange({ [mine]: { unread: 1, preferences }, [item]: feedItem });
      await assertFails(updateDoc(doc(client(), mine), { "preferences.kinds.comments": false }));
      await assertFails(updateDoc(doc(client(), mine), { unread: 0 }));
      await assertFails(setDoc(doc(client(), mine), { preferences }, { merge: true }));
      await assertFails(updateDoc(doc(client(), item), { read: true }));
      await assertFails(deleteDoc(doc(client(), item)));
      await assertFails(deleteDoc(doc(client(), mine)));
    },
  );
});

describe("paths outside the data model", () => {
  it.each(["settings/global", `${POST}/likes/like-1`, `users/${ALICE}/private/notes`])(
    "%s is denied to a signed-in user",
    async (path) => {
      const db = clientOf(ALICE);
      await assertFails(getDoc(doc(db, path)));
      await assertFails(setDoc(doc(db, path), { any: "thing" }));
    },
  );
});
