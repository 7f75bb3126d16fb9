/**
 * A comment's audience as a stream (docs/api.md, "Who is notified of a new comment"; docs/delivery.md,
 * "Reading the audience"): the post's subscribers a page at a time (roster first), each page made by the
 * engine's `recipientsPage` (the `comments` switch, quiet hours and device lists read together, by key).
 */
import {
  readAhead,
  recipientsPage,
  AUDIENCE_PAGE_SIZE,
  FIRST_AUDIENCE_PAGE_SIZE,
  type AudiencePage,
} from "../../audience";
import type { CommentPushStores } from "./stores";
import { pageCandidates } from "./recipients";

/**
 * The audience of a comment on a post (docs/api.md, "Who is notified of a new comment"): the post's author
 * first (unless they muted the post or wrote the comment), then every subscriber (roster first) but the
 * commenter, the muted and the author (counted once), minus those who opted out.
 */
export async function* commentAudience(
  stores: Pick<CommentPushStores, "posts" | "notifications" | "devices">,
  comment: { postId: string; postAuthorId: string; commentAuthorId: string },
  pageSize = AUDIENCE_PAGE_SIZE,
): AsyncGenerator<AudiencePage> {
  const { postId, postAuthorId, commentAuthorId } = comment;
  const own = await stores.posts.subscriber(postId, postAuthorId);
  let author = own?.muted === true ? "" : postAuthorId;
  // The next query of subscribers is in flight while the current one's recipients are looked up and sent.
  let size = Math.min(pageSize, FIRST_AUDIENCE_PAGE_SIZE);
  for await (const subscribers of readAhead(stores.posts.subscriberPages(postId))) {
    for (let start = 0; start < subscribers.length; start += size, size = Math.min(pageSize, size * 2)) {
      const part = subscribers.slice(start, start + size);
      const candidates = pageCandidates({ postAuthorId, author, commentAuthorId, subscribers: part });
      author = "";
      if (candidates.length > 0) yield await recipientsPage(stores, candidates, "comments");
    }
  }
  // A post nobody follows still notifies its author.
  if (author !== "") {
    const candidates = pageCandidates({ postAuthorId, author, commentAuthorId, subscribers: [] });
    if (candidates.length > 0) yield await recipientsPage(stores, candidates, "comments");
  }
}
