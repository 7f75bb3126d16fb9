import type { TokenMessage } from "firebase-admin/messaging";
import {
  collapseKeysOf,
  composeCommentPush,
  languageOf,
  truncateCodePoints,
  type CommentPushInput,
} from "../../functions/src/push/kinds/comment/compose";

const base: CommentPushInput = {
  device: { token: "tok-1", locale: "en-US", platform: "android" },
  commenterName: "Bob",
  relation: "author",
  postId: "post-1",
  commentId: "comment-1",
  authorId: "bob-uid",
  text: "Nice post!",
};

const codePoints = (s: string) => Array.from(s).length;

describe("composeCommentPush", () => {
  it("builds the FCM v1 message of docs/api.md, usable as firebase-admin's TokenMessage", () => {
    const message: TokenMessage = composeCommentPush({ ...base, ttlSeconds: 3600, nowMs: 1_700_000_000_500 });
    expect(message).toEqual({
      token: "tok-1",
      notification: { title: "Bob commented on your post", body: "Nice post!" },
      data: { type: "comment", postId: "post-1", commentId: "comment-1", authorId: "bob-uid" },
      android: {
        collapseKey: "comment-1",
        ttl: 3_600_000,
        notification: { channelId: "comments", tag: "post-1" },
      },
      apns: {
        headers: { "apns-collapse-id": "comment-1", "apns-expiration": String(1_700_000_000 + 3600) },
        payload: { aps: { "thread-id": "post-1" } },
      },
      webpush: { headers: { TTL: "3600", Topic: collapseKeysOf("comment-1").web } },
    });
  });

  it("gives every message a TTL of a day by default, on Android, APNs and Web", () => {
    const message = composeCommentPush({ ...base, nowMs: 2_000_000_000_000 });
    expect(message.android.ttl).toBe(86_400_000);
    expect(message.apns.headers["apns-expiration"]).toBe(String(2_000_000_000 + 86_400));
    expect(message.webpush.headers.TTL).toBe("86400");
  });

  it("a TTL of 0 means now or never (APNs expiration 0)", () => {
    const message = composeCommentPush({ ...base, ttlSeconds: 0 });
    expect(message.apns.headers["apns-expiration"]).toBe("0");
    expect(message.android.ttl).toBe(0);
  });

  it("collapses a duplicate of the same comment: keys from the comment id, within each platform's limits", () => {
    expect(collapseKeysOf("comment-1")).toMatchObject({ android: "comment-1", apns: "comment-1" });
    const long = "c".repeat(65);
    const keys = collapseKeysOf(long);
    expect(Buffer.byteLength(keys.apns)).toBeLessThanOrEqual(64);
    expect(keys.apns).not.toBe(collapseKeysOf("c".repeat(66)).apns);
    expect(keys.web).toMatch(/^[0-9a-f]{32}$/);
    expect(collapseKeysOf("comment-2").web).not.toBe(collapseKeysOf("comment-1").web);
    // Asked again for the same id (every device of a delivery): the same keys, a copy each time.
    const again = collapseKeysOf(long);
    expect(again).toEqual(keys);
    again.web = "changed";
    expect(collapseKeysOf(long).web).toBe(keys.web);
  });

  it("titles in English by relation", () => {
    expect(composeCommentPush({ ...base, relation: "subscriber" }).notification.title).toBe(
      "Bob commented on a post you follow",
    );
  });

  it.each(["ko", "ko-KR", "KO_kr", "ko-Kore-KR"])("titles in Korean for locale %s", (locale) => {
    const push = composeCommentPush({ ...base, device: { ...base.device, locale }, commenterName: "민수" });
    expect(push.notification.title).toBe("민수님의 새 댓글");
    const forSubscriber = composeCommentPush({
      ...base,
      relation: "subscriber",
      device: { ...base.device, locale },
      commenterName: "민수",
    });
    expect(forSubscriber.notification.title).toBe("팔로우 중인 글에 민수님의 새 댓글");
  });

  it.each([undefined, null, "", "en", "kok-IN", "ja-JP", "fr"])(
    "titles in English for locale %p",
    (locale) => {
      const push = composeCommentPush({ ...base, device: { ...base.device, locale } });
      expect(push.notification.title).toBe("Bob commented on your post");
    },
  );

  it.each([undefined, null, "", "   ", "\u0000\t"])("falls back to a generic name for %p", (name) => {
    expect(composeCommentPush({ ...base, commenterName: name }).notification.title).toBe(
      "Someone commented on your post",
    );
    const ko = composeCommentPush({
      ...base,
      commenterName: name,
      device: { ...base.device, locale: "ko-KR" },
    });
    expect(ko.notification.title).toBe("누군가의 새 댓글");
  });

  it("tidies the name: trimmed, whitespace and control characters collapsed", () => {
    expect(composeCommentPush({ ...base, commenterName: "  Bob\n\u0007 Smith " }).notification.title).toBe(
      "Bob Smith commented on your post",
    );
  });

  it("keeps a body of exactly 200 characters whole", () => {
    const text = "a".repeat(200);
    expect(composeCommentPush({ ...base, text }).notification.body).toBe(text);
  });

  it("cuts a longer body to 200 characters, the ellipsis included", () => {
    const body = composeCommentPush({ ...base, text: "b".repeat(2000) }).notification.body;
    expect(body).toBe(`${"b".repeat(199)}…`);
    expect(codePoints(body)).toBe(200);
  });

  it("counts code points, so emoji and Korean are not cut in half", () => {
    const text = "😀".repeat(300); // each one code point, two UTF-16 units
    const body = composeCommentPush({ ...base, text }).notification.body;
    expect(body).toBe(`${"😀".repeat(199)}…`);
    expect(codePoints(body)).toBe(200);
    expect(body).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/); // no lone high surrogate
    expect(composeCommentPush({ ...base, text: "가".repeat(201) }).notification.body).toBe(
      `${"가".repeat(199)}…`,
    );
  });

  it("does not split a surrogate pair that straddles the cut", () => {
    const text = `${"a".repeat(198)}😀😀😀`;
    const body = composeCommentPush({ ...base, text }).notification.body;
    expect(body).toBe(`${"a".repeat(198)}😀…`);
  });

  it("keeps or drops a multi-code-point emoji whole", () => {
    const family = "👩‍👩‍👧"; // 5 code points joined by ZWJs
    const text = `${"a".repeat(196)}${family}tail`;
    const body = truncateCodePoints(text, 200);
    expect(body).toBe(`${"a".repeat(196)}…`);
    expect(codePoints(body)).toBeLessThanOrEqual(200);
  });

  it("counts code points as Array.from does (a lone surrogate is one), and cuts a text again the same way", () => {
    // 199 code points in 200 UTF-16 units (one pair), then a lone high surrogate: 200 code points, kept.
    const fits = `${"a".repeat(198)}😀\ud800`;
    expect(truncateCodePoints(fits, 200)).toBe(fits);
    const over = `${fits}b`;
    const first = truncateCodePoints(over, 200);
    expect(codePoints(first)).toBeLessThanOrEqual(200);
    expect(first.endsWith("…")).toBe(true);
    // Cut once and remembered: the second answer is the same, and another limit is cut on its own.
    expect(truncateCodePoints(over, 200)).toBe(first);
    expect(truncateCodePoints(over, 10)).toBe(`${"a".repeat(9)}…`);
    for (let i = 0; i < 100; i++) truncateCodePoints(`${i} ${"x".repeat(300)}`, 200);
    expect(truncateCodePoints(over, 200)).toBe(first);
  });

  it("never exceeds the limit even for one enormous grapheme", () => {
    const zalgo = `z${"\u0301".repeat(500)}`;
    const body = truncateCodePoints(zalgo, 200);
    expect(codePoints(body)).toBe(200);
    expect(body.endsWith("…")).toBe(true);
  });
});

describe("languageOf", () => {
  it("reads the primary language subtag", () => {
    expect(languageOf("ko-KR")).toBe("ko");
    expect(languageOf("en-KR")).toBe("en");
  });
});
