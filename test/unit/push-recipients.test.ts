import {
  recipientCandidates,
  recipientsOf,
  type OptOutLookup,
} from "../../functions/src/push/kinds/comment/recipients";

const noOptOuts: OptOutLookup = () => Promise.resolve(new Set<string>());

describe("recipientsOf", () => {
  it("notifies the post author and every subscriber, except the commenter", async () => {
    const recipients = await recipientsOf({
      postAuthorId: "alice",
      commentAuthorId: "bob",
      subscribers: [
        { uid: "bob", muted: false },
        { uid: "carol", muted: false },
        { uid: "dave", muted: false },
      ],
      optedOut: noOptOuts,
    });
    expect(recipients).toEqual(["alice", "carol", "dave"]);
  });

  it("leaves out the post author when they comment on their own post", async () => {
    const recipients = await recipientsOf({
      postAuthorId: "alice",
      commentAuthorId: "alice",
      subscribers: [
        { uid: "alice", muted: false },
        { uid: "carol", muted: false },
      ],
      optedOut: noOptOuts,
    });
    expect(recipients).toEqual(["carol"]);
  });

  it("leaves out muted subscribers, the post author included when their own subscriber doc is muted", async () => {
    const recipients = await recipientsOf({
      postAuthorId: "alice",
      commentAuthorId: "bob",
      subscribers: [
        { uid: "alice", muted: true },
        { uid: "carol", muted: true },
        { uid: "dave", muted: false },
      ],
      optedOut: noOptOuts,
    });
    expect(recipients).toEqual(["dave"]);
  });

  it("leaves out users who turned comment notifications off", async () => {
    const recipients = await recipientsOf({
      postAuthorId: "alice",
      commentAuthorId: "bob",
      subscribers: [
        { uid: "carol", muted: false },
        { uid: "dave", muted: false },
      ],
      optedOut: (uids) => Promise.resolve(new Set(uids.filter((uid) => uid === "alice" || uid === "dave"))),
    });
    expect(recipients).toEqual(["carol"]);
  });

  it("names each user once, and asks about opt-outs once for every candidate", async () => {
    const asked: (readonly string[])[] = [];
    const recipients = await recipientsOf({
      postAuthorId: "alice",
      commentAuthorId: "bob",
      subscribers: [
        { uid: "alice", muted: false },
        { uid: "carol", muted: false },
        { uid: "carol", muted: false },
      ],
      optedOut: (uids) => {
        asked.push(uids);
        return Promise.resolve(new Set<string>());
      },
    });
    expect(recipients).toEqual(["alice", "carol"]);
    expect(asked).toEqual([["alice", "carol"]]);
  });

  it("does not look up opt-outs when nobody is left", async () => {
    let asked = false;
    const recipients = await recipientsOf({
      postAuthorId: "alice",
      commentAuthorId: "alice",
      subscribers: [{ uid: "carol", muted: true }],
      optedOut: () => {
        asked = true;
        return Promise.resolve(new Set<string>());
      },
    });
    expect(recipients).toEqual([]);
    expect(asked).toBe(false);
  });
});

describe("recipientCandidates", () => {
  it("keeps the post author first, then subscribers in order", () => {
    expect(
      recipientCandidates({
        postAuthorId: "alice",
        commentAuthorId: "zed",
        subscribers: [
          { uid: "dave", muted: false },
          { uid: "carol", muted: false },
        ],
      }),
    ).toEqual(["alice", "dave", "carol"]);
  });
});
