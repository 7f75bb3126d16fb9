/**
 * The push message for a new comment (docs/api.md, "The push message"): one FCM v1 message per device token.
 * The returned object is structurally a firebase-admin `TokenMessage`, so it can go to `sendEach` as is.
 */
import { createHash } from "node:crypto";
import type { Platform } from "../../../devices/platform";

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
  /** How long FCM keeps trying to reach an offline device (Android, APNs, Web); default a day. */
  ttlSeconds?: number | undefined;
  /** Now, in ms since the epoch: APNs wants the expiry as an absolute time. */
  nowMs?: number | undefined;
};

export type CommentPushData = { type: "comment"; postId: string; commentId: string; authorId: string };

export type CommentPush = {
  token: string;
  notification: { title: string; body: string };
  data: CommentPushData;
  android: { collapseKey: string; ttl: number; notification: { channelId: "comments"; tag: string } };
  apns: {
    headers: { "apns-collapse-id": string; "apns-expiration": string };
    payload: { aps: { "thread-id": string } };
  };
  webpush: { headers: { TTL: string; Topic: string } };
};

/** A comment push's TTL unless the caller gives one (params.ts: PUSH_MESSAGE_TTL_SECONDS). */
export const DEFAULT_TTL_SECONDS = 86_400;

/**
 * The key under which a second copy of the same comment's push replaces the first instead of adding to it
 * (docs/delivery.md, "Duplicates"): the comment id where each platform allows it (APNs: at most 64 bytes),
 * else a hash of it; Web Push's `Topic` allows at most 32 URL-safe characters, so it is always the hash.
 */
export function collapseKeysOf(commentId: string): { android: string; apns: string; web: string } {
  const hash = createHash("sha256").update(commentId, "utf8").digest("hex").slice(0, 32);
  const apns = Buffer.byteLength(commentId, "utf8") <= 64 ? commentId : hash;
  return { android: commentId, apns, web: hash };
}

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

/**
 * The platform blocks every push of this project carries: the post's Android channel and tag and APNs thread,
 * the TTL on each platform, and the collapse key under which a second copy replaces the first.
 */
export function platformBlocks(
  postId: string,
  collapseId: string,
  ttlSecondsIn: number | undefined,
  nowMs: number = Date.now(),
): Pick<CommentPush, "android" | "apns" | "webpush"> {
  const ttlSeconds = Math.max(0, Math.floor(ttlSecondsIn ?? DEFAULT_TTL_SECONDS));
  const nowSeconds = Math.floor(nowMs / 1000);
  const collapse = collapseKeysOf(collapseId);
  return {
    // firebase-admin takes the Android TTL in ms and sends it as "<seconds>s".
    android: {
      collapseKey: collapse.android,
      ttl: ttlSeconds * 1000,
      notification: { channelId: "comments", tag: postId },
    },
    // apns-expiration 0 means "deliver now or never"; otherwise an absolute time in epoch seconds.
    apns: {
      headers: {
        "apns-collapse-id": collapse.apns,
        "apns-expiration": String(ttlSeconds === 0 ? 0 : nowSeconds + ttlSeconds),
      },
      payload: { aps: { "thread-id": postId } },
    },
    webpush: { headers: { TTL: String(ttlSeconds), Topic: collapse.web } },
  };
}

export function composeCommentPush(input: CommentPushInput): CommentPush {
  const { device, relation, postId, commentId, authorId, text } = input;
  const title = commentPushTitle(languageOf(device.locale), relation, displayNameOf(input.commenterName));
  return {
    token: device.token,
    notification: { title, body: truncateCodePoints(text, BODY_MAX_CODE_POINTS) },
    data: { type: "comment", postId, commentId, authorId },
    ...platformBlocks(postId, commentId, input.ttlSeconds, input.nowMs),
  };
}

function countCodePoints(text: string): number {
  return Array.from(text).length;
}
