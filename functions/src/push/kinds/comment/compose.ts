/**
 * The push message for a new comment (docs/api.md, "The push message"): one FCM v1 message per device token.
 * The returned object is structurally a firebase-admin `TokenMessage`, so it can go to `sendEach` as is.
 */
import {
  BODY_MAX_CODE_POINTS,
  DEFAULT_TTL_SECONDS,
  collapseKeysOf,
  displayNameOf,
  languageOf,
  platformBlocks,
  truncateCodePoints,
  type Language,
  type PushDevice,
} from "../../domain/message";

/** Why the recipient hears about this comment. */
export type Relation = "author" | "subscriber";

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

export {
  BODY_MAX_CODE_POINTS,
  DEFAULT_TTL_SECONDS,
  collapseKeysOf,
  displayNameOf,
  languageOf,
  truncateCodePoints,
  type Language,
  type PushDevice,
};

export function commentPushTitle(language: Language, relation: Relation, name: string | undefined): string {
  if (language === "ko") {
    const who = name === undefined ? "누군가의" : `${name}님의`;
    return relation === "author" ? `${who} 새 댓글` : `팔로우 중인 글에 ${who} 새 댓글`;
  }
  const who = name ?? "Someone";
  return relation === "author" ? `${who} commented on your post` : `${who} commented on a post you follow`;
}

/**
 * The platform blocks every comment push (and digest) carries: the post's Android channel and tag and APNs
 * thread, and the collapse key under which a second copy replaces the first.
 */
export function postPlatformBlocks(
  postId: string,
  collapseId: string,
  ttlSeconds: number | undefined,
  nowMs?: number,
): Pick<CommentPush, "android" | "apns" | "webpush"> {
  return platformBlocks(
    { channelId: "comments", tag: postId, threadId: postId, collapseId },
    ttlSeconds,
    nowMs,
  ) as Pick<CommentPush, "android" | "apns" | "webpush">;
}

export function composeCommentPush(input: CommentPushInput): CommentPush {
  const { device, relation, postId, commentId, authorId, text } = input;
  const title = commentPushTitle(languageOf(device.locale), relation, displayNameOf(input.commenterName));
  return {
    token: device.token,
    notification: { title, body: truncateCodePoints(text, BODY_MAX_CODE_POINTS) },
    data: { type: "comment", postId, commentId, authorId },
    ...postPlatformBlocks(postId, commentId, input.ttlSeconds, input.nowMs),
  };
}
