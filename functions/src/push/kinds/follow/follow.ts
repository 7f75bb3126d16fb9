/**
 * The follow kind (docs/api.md, "New follower"): `users/{uid}/followers/{followerUid}` created by the
 * follower notifies `uid`, in their language, at most once per follower per 24 hours whatever
 * follow/unfollow loops happen (followNotices.ts). The worked example of docs/kinds.md.
 */
import { z } from "zod";
import { displayNameOf, languageOf, platformBlocks } from "../../domain/message";
import type { PushKind } from "../../kind";
import { documentTrigger, type DocumentKind } from "../documentTrigger";
import { claimFollowNotice } from "./followNotices";

const id = z.string().min(1).max(1_500);

/** What every message of one follow says: who followed whom, and the follower's name when planned. */
const followContent = z.object({ uid: id, followerId: id, followerName: z.string().max(1_000).optional() });
type FollowContent = z.infer<typeof followContent>;

export function followTitle(language: "ko" | "en", name: string | undefined): string {
  if (language === "ko") return `${name ?? "누군가"}님이 회원님을 팔로우하기 시작했습니다`;
  return `${name ?? "Someone"} started following you`;
}

export const followKind: DocumentKind<FollowContent> & PushKind<FollowContent> = {
  name: "follow",
  content: followContent,
  preference: () => "follows",
  render: ({ uid, followerId, followerName }, device, options) => ({
    token: device.token,
    notification: { title: followTitle(languageOf(device.locale), displayNameOf(followerName)) },
    data: { type: "follow", uid, followerId },
    ...platformBlocks(
      { channelId: "follows", threadId: "followers", collapseId: `follow-${followerId}` },
      options.ttlSeconds,
      options.nowMs,
    ),
  }),
  timeoutSeconds: 60,
  source: {
    document: "users/{uid}/followers/{followerUid}",
    subject: ({ uid = "", followerUid = "" }) => ({ uid, followerId: followerUid }),
    async plan(event, stores) {
      const { uid = "", followerUid = "" } = event.params;
      // The rules refuse it; an Admin SDK write may not.
      if (uid === followerUid) return { kind: "skip", skip: "a user followed themselves", status: "done" };
      const claimed = await claimFollowNotice(uid, followerUid, event.id);
      if (!claimed)
        return {
          kind: "skip",
          skip: "this follower notified this user in the last 24 hours",
          status: "done",
        };
      const followerName = await stores.users.displayNameOf(followerUid);
      const { audienceOf } = await import("../../audience");
      return {
        content: { uid, followerId: followerUid, ...(followerName === undefined ? {} : { followerName }) },
        audience: {
          pages: audienceOf(stores, [uid], "follows"),
          maxDevices: stores.devices.maxDevicesPerUser,
        },
      };
    },
  },
};

export const onFollowerCreated = documentTrigger(followKind);
