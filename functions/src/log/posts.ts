import { logger } from "firebase-functions/logger";
import { errorText } from "../shared/errorText";

/** Log events of a post's subscriber roster (posts/roster.ts): nothing is lost by either, only reads. */
export const postLog = {
  rosterShardShort(fields: { postId: string; shard: number; size: number }) {
    logger.warn(
      "subscriber roster: a shard holds fewer uids than its meta doc says; cut back to before it",
      fields,
    );
  },
  rosterFoldFailed(fields: { postId: string; error: unknown }) {
    logger.warn("subscriber roster: folding failed; the subscribers stay read from their docs", {
      postId: fields.postId,
      error: errorText(fields.error),
    });
  },
};
