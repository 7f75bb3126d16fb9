/**
 * A comment's audience as a stream (docs/delivery.md, "Reading the audience"): the post's subscribers a page
 * at a time, each page's opt-outs and device lists read together by key, the next page read while the
 * current one is being sent. Only what sending needs is kept: uids and the devices' tokens, never snapshots,
 * so a fan-out's memory depends on the page size, not on the audience.
 */
import type { ActiveDevice } from "../devices/deviceDoc";
import { chunk } from "../shared/batches";
import type { CommentPushStores } from "./deps";
import { pageCandidates } from "./kinds/comment/recipients";

/** One page of the audience: who is notified, and their devices that are not marked rejected. */
export type AudiencePage = { recipients: readonly string[]; devices: readonly ActiveDevice[] };

/** Subscribers per page: ~5 devices each makes a page a few `sendEach` batches of 500. */
export const AUDIENCE_PAGE_SIZE = 500;
/**
 * The first page is smaller: its devices are read before the first push leaves (a batch's worth at 10
 * devices a recipient), and the rest are read while it is being sent.
 */
export const FIRST_AUDIENCE_PAGE_SIZE = 50;

/**
 * The audience of a comment on a post (docs/api.md, "Who is notified of a new comment"): the post's author
 * first (unless they muted the post or wrote the comment), then every subscriber (roster first) but the
 * commenter, the muted and the author (counted once), minus those who opted out.
 */
export async function* commentAudience(
  stores: Pick<CommentPushStores, "posts" | "users" | "devices">,
  comment: { postId: string; postAuthorId: string; commentAuthorId: string },
  pageSize = AUDIENCE_PAGE_SIZE,
): AsyncGenerator<AudiencePage> {
  const { postId, postAuthorId, commentAuthorId } = comment;
  const own = await stores.posts.subscriber(postId, postAuthorId);
  let author = own?.muted === true ? "" : postAuthorId;
  // The next query of subscribers is in flight while the current one's recipients are looked up and sent.
  let size = Math.min(pageSize, FIRST_AUDIENCE_PAGE_SIZE);
  for await (const subscribers of readAhead(stores.posts.subscriberPages(postId))) {
    for (let start = 0; start < subscribers.length; start += size, size = pageSize) {
      const part = subscribers.slice(start, start + size);
      const candidates = pageCandidates({ postAuthorId, author, commentAuthorId, subscribers: part });
      author = "";
      if (candidates.length > 0) yield await pageOf(stores, candidates);
    }
  }
  // A post nobody follows still notifies its author.
  if (author !== "") {
    const candidates = pageCandidates({ postAuthorId, author, commentAuthorId, subscribers: [] });
    if (candidates.length > 0) yield await pageOf(stores, candidates);
  }
}

/** Given recipients (a digest's, already chosen), a page at a time with their devices. */
export async function* audienceOf(
  stores: Pick<CommentPushStores, "devices">,
  recipients: readonly string[],
  pageSize = AUDIENCE_PAGE_SIZE,
): AsyncGenerator<AudiencePage> {
  for (const uids of chunk(recipients, pageSize)) {
    yield { recipients: uids, devices: await stores.devices.activeDevicesOf(uids) };
  }
}

/** The candidates of one page less those who opted out, and their devices: both read at once, by key. */
async function pageOf(
  stores: Pick<CommentPushStores, "users" | "devices">,
  candidates: readonly string[],
): Promise<AudiencePage> {
  const [optedOut, devices] = await Promise.all([
    stores.users.commentOptOutsAmong(candidates),
    stores.devices.activeDevicesOf(candidates),
  ]);
  if (optedOut.size === 0) return { recipients: candidates, devices };
  return {
    recipients: candidates.filter((uid) => !optedOut.has(uid)),
    devices: devices.filter((device) => !optedOut.has(device.uid)),
  };
}

/**
 * `source` read one item ahead: the first item is asked for at once (not when first iterated), and each next
 * one as soon as the current one is handed over, so reading overlaps whatever the consumer does meanwhile
 * (planning, sending the page before). An error of a read ahead surfaces where the consumer reaches it.
 */
export function readAhead<T>(source: AsyncIterable<T>): AsyncIterable<T> {
  const iterator = source[Symbol.asyncIterator]();
  const ask = () => {
    const next = iterator.next();
    // Not unhandled: it is awaited when the consumer gets there.
    next.catch(() => undefined);
    return next;
  };
  let next = ask();
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          const result = await next;
          if (result.done) return;
          next = ask();
          yield result.value;
        }
      } finally {
        await iterator.return?.();
      }
    },
  };
}
