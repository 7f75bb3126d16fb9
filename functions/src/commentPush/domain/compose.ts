/**
 * The push message for a new comment (docs/api.md, "The push message"): one FCM v1 message per device token.
 * The returned object is structurally a firebase-admin `TokenMessage`, so it can go to `sendEach` as is.
 */
import type { Platform } from "../../devices/platform";

/** Why the recipient hears about this comment. */
export type Relation = "author" | "subscriber";

export type PushDevice = { token: string; locale?: string | null; platform: Platform };

export type CommentPushInput = {
  device: PushDevice;
  /** `users/{authorId}.displayName` of the commenter, read on the server; missing or blank means unknown. */
  commenterName: string | null | undefined;
  relation: Relation;
  postId: string;
  commentId: string;
  authorId: string;
  text: string;
};

export type CommentPushData = { type: "comment"; postId: string; commentId: string; authorId: string };

export type CommentPush = {
  token: string;
  notification: { title: string; body: string };
  data: CommentPushData;
  android: { notification: { channelId: "comments"; tag: string } };
  apns: { payload: { aps: { "thread-id": string } } };
};

/** The longest body, in code points, the ellipsis included. */
export const BODY_MAX_CODE_POINTS = 200;
/** Longest commenter name shown, in code points (`displayName` is 1..80 by contract; this is a guard). */
const NAME_MAX_CODE_POINTS = 80;
const ELLIPSIS = "…";
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

export type Language = "ko" | "en";

/** Korean when the locale's primary language subtag is `ko` ("ko", "ko-KR", "ko_KR"); English otherwise. */
export function languageOf(locale: string | null | undefined): Language {
  const primary = (locale ?? "").trim().split(/[-_]/)[0]?.toLowerCase();
  return primary === "ko" ? "ko" : "en";
}

/** The name to show: trimmed, control characters and runs of whitespace collapsed; `undefined` if nothing is left. */
export function displayNameOf(name: string | null | undefined): string | undefined {
  if (typeof name !== "string") return undefined;
  const clean = name
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (clean === "") return undefined;
  return truncateCodePoints(clean, NAME_MAX_CODE_POINTS);
}

export function commentPushTitle(language: Language, relation: Relation, name: string | undefined): string {
  if (language === "ko") {
    const who = name === undefined ? "누군가의" : `${name}님의`;
    return relation === "author" ? `${who} 새 댓글` : `팔로우 중인 글에 ${who} 새 댓글`;
  }
  const who = name ?? "Someone";
  return relation === "author" ? `${who} commented on your post` : `${who} commented on a post you follow`;
}

/**
 * `text` cut to at most `max` code points, the ellipsis included. Never splits a surrogate pair, and
 * cuts at a grapheme boundary (a flag or a family emoji is kept whole or dropped whole).
 */
export function truncateCodePoints(text: string, max: number = BODY_MAX_CODE_POINTS): string {
  if (countCodePoints(text) <= max) return text;
  const room = max - 1; // for the ellipsis
  let kept = "";
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const size = countCodePoints(segment);
    if (used + size > room) break;
    kept += segment;
    used += size;
  }
  // One grapheme longer than the room (a pathological run of combining marks): fall back to code points.
  if (used === 0) kept = Array.from(text).slice(0, room).join("");
  return `${kept.trimEnd()}${ELLIPSIS}`;
}

export function composeCommentPush(input: CommentPushInput): CommentPush {
  const { device, relation, postId, commentId, authorId, text } = input;
  const title = commentPushTitle(languageOf(device.locale), relation, displayNameOf(input.commenterName));
  return {
    token: device.token,
    notification: { title, body: truncateCodePoints(text, BODY_MAX_CODE_POINTS) },
    data: { type: "comment", postId, commentId, authorId },
    android: { notification: { channelId: "comments", tag: postId } },
    apns: { payload: { aps: { "thread-id": postId } } },
  };
}

function countCodePoints(text: string): number {
  return Array.from(text).length;
}
