// Issue 25 item 9: a token that moves to another user while a delivery is under way (between two audience
// pages, or two slices) is sent at most once by that delivery, and only under a recipient whose device list
// held it from before the delivery read its audience (docs/delivery.md, "A token that changes hands").
import { fanOutComment } from "../../functions/src/push/kinds/comment/fanOut";
import { commentKind } from "../../functions/src/push/kinds/comment/comment";
import { sendSlice } from "../../functions/src/push/slice";
import type { SliceQueue, SliceTask } from "../../functions/src/push/sliceTask";
import type { ActiveDevice } from "../../functions/src/devices/deviceDoc";
import {
  commentEvent,
  fakeCommentPushStores,
  fakeDevice,
  fastDeps,
  scriptedSender,
} from "../support/fakeCommentPush";

/** `count` followers with a phone each; f0's is "token-t". Lists are read at 1_000, entries written at 0. */
function world(count = 60) {
  const followers = Array.from({ length: count }, (_, f) => `f${f}`);
  const devices = followers.map((uid, f) => fakeDevice(uid, f === 0 ? "t" : uid));
  devices.push(fakeDevice("author", "author"));
  const fake = fakeCommentPushStores({
    devices,
    subscribers: followers.map((uid) => ({ uid, muted: false })),
  });
  /** The token moves to `uid`: off f0's list, onto theirs, with its entry written at 2_000 (read at 3_000). */
  const move = (uid: string) => {
    const at = devices.findIndex((device) => device.token === "token-t");
    const moved: ActiveDevice = Object.assign(fakeDevice(uid, "t"), { seenAtMs: 2_000, readAtMs: 3_000 });
    devices.splice(at, 1, moved);
  };
  return { ...fake, move };
}

describe("a token that changes hands during a delivery", () => {
  it("is sent once by a streamed fan-out when it moves between two audience pages", async () => {
    const { stores, move } = world();
    const read = stores.devices.activeDevicesOf;
    let pages = 0;
    stores.devices.activeDevicesOf = async (uids) => {
      const found = await read(uids);
      // After the first page (the author and f0…f48) was read: f0's phone is now f55's.
      if (++pages === 1) move("f55");
      return found;
    };
    const sender = scriptedSender();
    expect(await fanOutComment(commentEvent(), fastDeps(stores, sender))).toMatchObject({
      kind: "delivered",
      status: "done",
    });
    expect(pages).toBeGreaterThan(1);
    expect(sender.sent.filter((token) => token === "token-t")).toHaveLength(1);
    expect(sender.sent).toHaveLength(61);
  });

  it("is sent once through slices when it moves between two slices, and never under an owner who left", async () => {
    // 700 followers: two slices (500 devices at most each).
    const { stores, move } = world(700);
    const tasks: SliceTask[] = [];
    const queue: SliceQueue = {
      enqueue: (slice) => {
        tasks.push(slice);
        return Promise.resolve("enqueued");
      },
    };
    const deps = { ...fastDeps(stores), tasks: { threshold: 10, queue } };
    expect(await fanOutComment(commentEvent(), deps)).toMatchObject({ kind: "enqueued" });
    const holding = (uid: string) => tasks.find((task) => task.slice.uids.includes(uid));
    const [first, second] = [holding("f0"), holding("f600")];
    if (!first || !second || first === second) throw new Error("f0 and f600 should be in two slices");

    const sender = scriptedSender();
    await sendSlice({ ...first, content: first.content }, commentKind, fastDeps(stores, sender));
    move("f600");
    await sendSlice({ ...second, content: second.content }, commentKind, fastDeps(stores, sender));
    expect(sender.sent.filter((token) => token === "token-t")).toHaveLength(1);

    // Moved before its slice ran: f0's slice reads f0's list again and no longer finds it.
    const again = world(700);
    const sent = scriptedSender();
    again.move("commenter");
    for (const task of tasks) await sendSlice(task, commentKind, fastDeps(again.stores, sent));
    expect(sent.sent).not.toContain("token-t");
  });
});
