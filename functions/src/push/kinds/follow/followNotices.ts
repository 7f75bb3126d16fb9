/**
 * `pushFollowNotices/{uid}_{followerUid}` (server only): when a follower last notified a user, and by which
 * delivery. A follow's delivery claims it in a transaction before anything is sent: the claim holds for 24
 * hours, so following, unfollowing and following again notifies once; a retry of the same delivery finds its
 * own claim and goes on.
 */
import type { Timestamp } from "firebase-admin/firestore";
import { lazyFirestore } from "../../../shared/lazyFirestore";

export const FOLLOW_NOTICES = "pushFollowNotices";
/** How long one follower's notice to one user stands. */
export const FOLLOW_NOTICE_MS = 24 * 60 * 60 * 1000;

/** Whether delivery `deliveryId` may notify `uid` of `followerUid` (and, if so, the claim is recorded). */
export async function claimFollowNotice(
  uid: string,
  followerUid: string,
  deliveryId: string,
  nowMs: number = Date.now(),
): Promise<boolean> {
  const [db, { Timestamp }] = await Promise.all([lazyFirestore(), import("firebase-admin/firestore")]);
  const ref = db.collection(FOLLOW_NOTICES).doc(`${uid}_${followerUid}`);
  return db.runTransaction(async (tx) => {
    const notice = (await tx.get(ref)).data() as { deliveryId?: string; at?: Timestamp } | undefined;
    const fresh = notice?.at !== undefined && nowMs - notice.at.toMillis() < FOLLOW_NOTICE_MS;
    if (fresh && notice?.deliveryId !== deliveryId) return false;
    if (notice?.deliveryId === deliveryId) return true;
    tx.set(ref, {
      uid,
      followerUid,
      deliveryId,
      at: Timestamp.fromMillis(nowMs),
      // A TTL policy on expireAt removes notices that no longer hold anything back (docs/deploy.md).
      expireAt: Timestamp.fromMillis(nowMs + FOLLOW_NOTICE_MS),
    });
    return true;
  });
}
