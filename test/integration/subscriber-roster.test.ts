// A post's subscriber roster (functions/src/posts/roster.ts) against the Firestore emulator: reading a post's
// subscribers folds them into the roster, and every later read, the roster's and the docs' past it, still
// names each subscriber exactly once with their `muted` as it is now; including reads that fold at once,
// a shard edited by hand, and, end to end, a comment after mutes, opt-outs and new subscriptions.
import { randomUUID } from "node:crypto";
import { doc, updateDoc } from "firebase/firestore";
import { FieldValue, Timestamp } from "firebase-admin/firestore";
import { PostStore } from "../../functions/src/posts/postStore";
import { ROSTER_SHARD_SIZE } from "../../functions/src/posts/roster";
import type { Subscriber } from "../../functions/src/push/kinds/comment/recipients";
import {
  cleanUp,
  comment,
  finishedDeliveriesOf,
  messagesTo,
  registerDevice,
  setProfile,
  subscribe,
  waitOutWindowOf,
  writePost,
  type Device,
} from "../support/commentPush";
import { adminDb, closeEmulatorConnections, signedInClient, type Client } from "../support/emulators";

const made = {
  devices: [] as Device[],
  uids: [] as string[],
  postIds: [] as string[],
  commentIds: [] as string[],
};

afterEach(() => cleanUp(made));
afterAll(closeEmulatorConnections);

/** A post of the Admin SDK's (the roster needs no client), cleaned up after the test. */
async function newPost(): Promise<string> {
  const postId = `roster-${randomUUID().slice(0, 8)}`;
  await adminDb()
    .doc(`posts/${postId}`)
    .set({ authorId: `${postId}-author`, title: "Roster", createdAt: Timestamp.now() });
  made.postIds.push(postId);
  return postId;
}

/** Subscriber docs as the server writes them (`since`: the commit time), `muted` for those in `muted`. */
async function addSubscribers(postId: string, uids: readonly string[], muted: readonly string[] = []) {
  const writer = adminDb().bulkWriter();
  for (const uid of uids) {
    void writer.set(adminDb().doc(`posts/${postId}/subscribers/${uid}`), {
      muted: muted.includes(uid),
      since: FieldValue.serverTimestamp(),
    });
  }
  await writer.close();
}

const uidsFor = (postId: string, count: number, label = "s") =>
  Array.from({ length: count }, (_, i) => `${postId}-${label}${String(i).padStart(5, "0")}`);

/** Every subscriber one read of the post sees, with folding at once (margin 0) unless a margin is given. */
async function readAll(
  postId: string,
  options: { marginMs?: number; pageSize?: number; firstPageSize?: number } = {},
): Promise<Subscriber[]> {
  const store = new PostStore(adminDb(), options.marginMs ?? 0);
  const all: Subscriber[] = [];
  for await (const page of store.subscriberPages(postId, options.pageSize, options.firstPageSize))
    all.push(...page);
  return all;
}

/** The uids as a sorted list, failing on any uid seen twice. */
function exactlyOnce(subscribers: readonly Subscriber[]): string[] {
  const uids = subscribers.map((s) => s.uid);
  expect(new Set(uids).size).toBe(uids.length);
  return [...uids].sort();
}

/** The roster as stored: its shards' sizes and the uids they count, in order. */
async function rosterOf(postId: string): Promise<{ sizes: number[]; uids: string[] }> {
  const meta = await adminDb().doc(`posts/${postId}/roster/meta`).get();
  const shards = (meta.get("shards") as { size: number }[] | undefined) ?? [];
  const uids: string[] = [];
  for (const [n, shard] of shards.entries()) {
    const stored = (await adminDb().doc(`posts/${postId}/roster/${n}`).get()).get("uids") as string[];
    uids.push(...stored.slice(0, shard.size));
  }
  return { sizes: shards.map((shard) => shard.size), uids };
}

describe("a post's subscriber roster", () => {
  it("folds the subscribers a read sees, and later reads get them from it, muted as they are now", async () => {
    const postId = await newPost();
    const uids = uidsFor(postId, 12);
    await addSubscribers(postId, uids, [uids[3]!]);

    const first = await readAll(postId, { pageSize: 5, firstPageSize: 2 });
    expect(exactlyOnce(first)).toEqual(uids);
    expect(first.filter((s) => s.muted).map((s) => s.uid)).toEqual([uids[3]]);
    const roster = await rosterOf(postId);
    expect(roster.sizes).toEqual([12]);
    expect([...roster.uids].sort()).toEqual(uids);

    // A mute and an unmute after the fold: the roster holds neither, the read still knows both.
    await adminDb().doc(`posts/${postId}/subscribers/${uids[3]!}`).update({ muted: false });
    await adminDb().doc(`posts/${postId}/subscribers/${uids[7]!}`).update({ muted: true });
    const second = await readAll(postId);
    expect(exactlyOnce(second)).toEqual(uids);
    expect(second.filter((s) => s.muted).map((s) => s.uid)).toEqual([uids[7]]);
    expect((await rosterOf(postId)).sizes).toEqual([12]);
  });

  it("reads a subscriber who joined after the fold from their doc, then folds them too", async () => {
    const postId = await newPost();
    const uids = uidsFor(postId, 6);
    await addSubscribers(postId, uids.slice(0, 4));
    await readAll(postId);
    expect((await rosterOf(postId)).sizes).toEqual([4]);

    await addSubscribers(postId, uids.slice(4), [uids[5]!]);
    const after = await readAll(postId);
    expect(exactlyOnce(after)).toEqual(uids);
    expect(after.find((s) => s.uid === uids[5])?.muted).toBe(true);
    const roster = await rosterOf(postId);
    expect(roster.sizes).toEqual([6]);
    expect(roster.uids.slice(4).sort()).toEqual(uids.slice(4));
  });

  it("leaves subscribers younger than the margin out of the roster, and still reads them", async () => {
    const postId = await newPost();
    const uids = uidsFor(postId, 5);
    await addSubscribers(postId, uids);
    expect(exactlyOnce(await readAll(postId, { marginMs: 60_000 }))).toEqual(uids);
    expect(await rosterOf(postId)).toEqual({ sizes: [], uids: [] });
    expect((await adminDb().doc(`posts/${postId}/roster/meta`).get()).exists).toBe(false);
  });

  it("shows each subscriber once to reads that fold at once, and the roster ends whole", async () => {
    const postId = await newPost();
    const uids = uidsFor(postId, 40);
    await addSubscribers(postId, uids.slice(0, 25));
    // Three reads at once, in pages of 4: the first to fold wins, the others read on without folding.
    const racing = await Promise.all([0, 1, 2].map(() => readAll(postId, { pageSize: 4, firstPageSize: 4 })));
    for (const read of racing) expect(exactlyOnce(read)).toEqual(uids.slice(0, 25));

    // More subscribers while three more reads race: still once each, with the roster counting no one twice.
    const joining = addSubscribers(postId, uids.slice(25));
    const more = await Promise.all([0, 1, 2].map(() => readAll(postId, { pageSize: 3, firstPageSize: 1 })));
    await joining;
    for (const read of more) {
      const seen = exactlyOnce(read);
      expect(seen.filter((uid) => !uids.slice(25).includes(uid))).toEqual(uids.slice(0, 25));
    }
    expect(exactlyOnce(await readAll(postId))).toEqual(uids);
    const roster = await rosterOf(postId);
    expect(new Set(roster.uids).size).toBe(roster.uids.length);
    expect([...roster.uids].sort()).toEqual(uids);
  });

  it(`fills a shard to ${ROSTER_SHARD_SIZE} uids, then starts the next`, async () => {
    const postId = await newPost();
    const uids = uidsFor(postId, ROSTER_SHARD_SIZE + 7);
    await addSubscribers(postId, uids.slice(0, ROSTER_SHARD_SIZE - 3));
    await readAll(postId);
    await addSubscribers(postId, uids.slice(ROSTER_SHARD_SIZE - 3));
    expect(exactlyOnce(await readAll(postId))).toEqual(uids);
    const roster = await rosterOf(postId);
    expect(roster.sizes).toEqual([ROSTER_SHARD_SIZE, 7]);
    expect([...roster.uids].sort()).toEqual(uids);
  });

  it("cuts a shard edited by hand out of the roster, reads those subscribers from their docs, and refolds them", async () => {
    const postId = await newPost();
    const uids = uidsFor(postId, 9);
    await addSubscribers(postId, uids.slice(0, 5));
    await readAll(postId);
    await addSubscribers(postId, uids.slice(5));
    await readAll(postId);
    // One shard of 9 uids now: cut it short by hand.
    await adminDb()
      .doc(`posts/${postId}/roster/0`)
      .set({ uids: uids.slice(0, 2) });

    expect(exactlyOnce(await readAll(postId))).toEqual(uids);
    expect(exactlyOnce(await readAll(postId))).toEqual(uids);
    const roster = await rosterOf(postId);
    expect(roster.sizes).toEqual([9]);
    expect([...roster.uids].sort()).toEqual(uids);
  });
});

describe("a comment on a post whose subscribers are in its roster", () => {
  async function user(name: string, notifications?: { comments: boolean }) {
    const client = await signedInClient();
    made.uids.push(client.uid);
    await setProfile(client, name, notifications);
    const device = await registerDevice(client, { platform: "android", locale: "en-US" });
    made.devices.push(device);
    return { client, device };
  }

  /** The tokens the FCM emulator received this comment's push on. */
  async function pushedTo(client: Client, postId: string, devices: Device[]): Promise<string[]> {
    const commentId = await comment(client, postId, "Hello");
    made.commentIds.push(commentId);
    const [delivery] = await finishedDeliveriesOf(commentId);
    expect(delivery?.status).toBe("done");
    const messages = await messagesTo(devices.map((d) => d.token));
    return messages
      .filter((m) => m.data.commentId === commentId)
      .map((m) => m.token)
      .sort();
  }

  it("notifies exactly who docs/api.md says, after mutes, opt-outs and subscriptions since the fold", async () => {
    const [author, staying, muting, optingOut, joining, commenter] = await Promise.all([
      user("Ada"),
      user("Bora"),
      user("Chen"),
      user("Dana"),
      user("Eun"),
      user("Farid"),
    ]);
    const postId = await writePost(author.client);
    made.postIds.push(postId);
    // Subscribed two minutes ago (older than the fold margin), as the server writes followers.
    const twoMinutesAgo = Timestamp.fromMillis(Date.now() - 120_000);
    await Promise.all(
      [staying, muting, optingOut].map(({ client }) =>
        adminDb()
          .doc(`posts/${postId}/subscribers/${client.uid}`)
          .set({ muted: false, since: twoMinutesAgo }),
      ),
    );
    const devices = [author, staying, muting, optingOut, joining, commenter].map((u) => u.device);

    const tokens = (...users: { device: Device }[]) => users.map((u) => u.device.token).sort();
    expect(await pushedTo(commenter.client, postId, devices)).toEqual(
      tokens(author, staying, muting, optingOut),
    );
    // The trigger folded the three followers; the commenter, subscribed just now, is not old enough yet.
    expect([...(await rosterOf(postId)).uids].sort()).toEqual(
      [staying, muting, optingOut].map((u) => u.client.uid).sort(),
    );

    await updateDoc(doc(muting.client.db, "posts", postId, "subscribers", muting.client.uid), {
      muted: true,
    });
    await setProfile(optingOut.client, "Dana", { comments: false });
    await subscribe(joining.client, postId, false);
    // Past the coalescing window the first comment opened, so the next one is pushed at once.
    await waitOutWindowOf(postId);

    expect(await pushedTo(commenter.client, postId, devices)).toEqual(tokens(author, staying, joining));
  });
});
