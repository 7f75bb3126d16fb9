/** What the comment kinds (comment, comment_digest) read beside the engine's stores, and their event. */
import type { PostStore } from "../../../posts/postStore";
import type { UserStore } from "../../../users/userStore";
import type { PushDeps, PushStores } from "../../deps";
import type { WindowStore } from "./coalesce/windowStore";

export type CommentPushStores = PushStores & {
  posts: Pick<
    PostStore,
    | "parseComment"
    | "post"
    | "subscribe"
    | "subscriber"
    | "subscriberPages"
    | "subscribedAfter"
    | "unmutedSubscriberCount"
  >;
  users: Pick<UserStore, "displayNameOf">;
  /** Coalescing windows (docs/coalescing.md); without them every comment is pushed at once. */
  windows?:
    | Pick<WindowStore, "decide" | "recordCoalesced" | "describeDigest" | "windowComments" | "commentText">
    | undefined;
};

export type CommentPushDeps = PushDeps<CommentPushStores>;

/** What the trigger needs of a comment-created event: its id (the idempotency key), path params and snapshot. */
export type CommentCreatedEvent = {
  id: string;
  params: { postId: string; commentId: string };
  data?: { data(): unknown } | undefined;
};
