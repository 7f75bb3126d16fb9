// Digest counting and composition (functions/src/push/kinds/comment/coalesce/digestMessage.ts).
import {
  composeDigestPush,
  digestCounts,
  digestOfSlice,
  tallyWindow,
  type DigestContent,
} from "../../functions/src/push/kinds/comment/coalesce/digestMessage";

const comments = [
  { commentId: "c1", authorId: "ben", createdAt: 1_000 },
  { commentId: "c3", authorId: "ana", createdAt: 3_000 },
  { commentId: "c2", authorId: "ben", createdAt: 2_000 },
];

describe("tallyWindow and digestCounts", () => {
  it("counts each recipient's comments but their own, leaving out those with none", () => {
    const tally = tallyWindow(comments);
    expect(tally.latest?.commentId).toBe("c3");
    expect(tally.otherLatest?.commentId).toBe("c2");
    expect(digestCounts(tally, ["ada", "ana", "ben"])).toEqual({ ada: 3, ana: 2, ben: 1 });
    const alone = tallyWindow([{ commentId: "x", authorId: "solo", createdAt: 1 }]);
    expect(alone.otherLatest).toBeUndefined();
    expect(digestCounts(alone, ["solo", "ada"])).toEqual({ ada: 1 });
  });
});

describe("composeDigestPush", () => {
  const digest: DigestContent = {
    windowId: "c0",
    postTitle: "Hot take",
    latest: { commentId: "c3", authorId: "ana", name: "Ana", text: "Latest" },
    otherLatest: { commentId: "c2", authorId: "ben", name: "Ben", text: "x".repeat(300) },
    counts: { ada: 3, ana: 2, ben: 1 },
  };

  it("titles the count in the device's language and shows the latest comment not by the recipient", () => {
    expect(
      composeDigestPush(
        "p1",
        digest,
        { uid: "ada", token: "t", platform: "android", locale: "en-US" },
        3_600,
        1_700_000_000_000,
      ),
    ).toEqual({
      token: "t",
      notification: { title: "3 new comments on “Hot take”", body: "Ana: Latest" },
      data: { type: "comment_digest", postId: "p1", count: "3", lastCommentId: "c3" },
      // Collapsed under the window: a second copy of the digest replaces the first; the TTL as given.
      android: { collapseKey: "c0", ttl: 3_600_000, notification: { channelId: "comments", tag: "p1" } },
      apns: {
        headers: { "apns-collapse-id": "c0", "apns-expiration": String(1_700_000_000 + 3_600) },
        payload: { aps: { "thread-id": "p1" } },
      },
      webpush: { headers: { TTL: "3600", Topic: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown } },
    });
    const ana = composeDigestPush("p1", digest, { uid: "ana", token: "t", platform: "ios", locale: "ko-KR" });
    expect(ana.notification.title).toBe("“Hot take”에 새 댓글 2개");
    expect(Array.from(ana.notification.body)).toHaveLength(200);
    expect(ana.notification.body.startsWith("Ben: xxx")).toBe(true);
    expect(ana.data).toEqual({ type: "comment_digest", postId: "p1", count: "2", lastCommentId: "c2" });
  });

  it("gives each slice only its recipients' counts", () => {
    expect(digestOfSlice(digest, ["ana", "zed"]).digest?.counts).toEqual({ ana: 2 });
    expect(digestOfSlice(undefined, ["ana"])).toEqual({});
  });
});
