import { logger } from "firebase-functions/logger";

type Ids = { eventId: string; postId: string; commentId: string };

/** Log events of coalescing (docs/coalescing.md): windows, folded comments, digests. */
export const coalesceLog = {
  pushWindowOpened(fields: Ids & { closesAt: number }) {
    logger.info("comment push: window opened", fields);
  },
  commentCoalesced(fields: Ids & { windowId: string; digestId: string; enqueued: "enqueued" | "duplicate" }) {
    logger.info("comment push: folded into its window's digest", fields);
  },
  commentCoalescedLate(fields: Ids) {
    logger.warn(
      "comment push: comment older than every window the post keeps; folded into a digest that may have counted it, nothing sent",
      fields,
    );
  },
  digestWaiting(fields: { postId: string; windowId: string; waitMs: number }) {
    logger.info("comment digest: dispatched before its window's end; waiting", fields);
  },
  digestInvalid(fields: { problems: { path: string; message: string }[] }) {
    logger.error("comment digest: invalid task payload; acknowledged, nothing sent", fields);
  },
};
