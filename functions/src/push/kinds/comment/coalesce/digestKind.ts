/** The comment_digest kind (docs/coalescing.md): one window's digest; its delivery: digest.ts. */
import { z } from "zod";
import type { PushKind } from "../../../kind";
import { composeDigestPush, digestContent, digestOfSlice } from "./digestMessage";

const digestPush = z.object({ postId: z.string().min(1).max(1_500), digest: digestContent });
export type DigestPushContent = z.infer<typeof digestPush>;

/** The longest a digest task may run (sendCommentDigest's timeout): its lease is this plus a margin. */
export const DIGEST_TIMEOUT_SECONDS = 540;

export const commentDigestKind: PushKind<DigestPushContent> = {
  name: "comment_digest",
  content: digestPush,
  preference: () => "comments",
  render: ({ postId, digest }, device, options) =>
    composeDigestPush(postId, digest, device, options.ttlSeconds, options.nowMs),
  forSlice: ({ postId, digest }, uids) => ({ postId, digest: digestOfSlice(digest, uids).digest ?? digest }),
  timeoutSeconds: DIGEST_TIMEOUT_SECONDS,
};
