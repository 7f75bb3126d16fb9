// The user's notification feed from the Web (modular SDK): every push they were sent also left one item in
// `notifications/{uid}/items/{itemId}` ({ kind, title, body, data, createdAt, read, expireAt }), and
// `notifications/{uid}.unread` counts the unread ones. Both are written by the server only and read by their
// owner only (firestore.rules); items are marked read through the `markNotificationsRead` callable, which
// answers the count after and sends each of the user's devices a silent badge update (appBadge.ts).
// Type-checked against the callable's own request and response types (clients/web/tsconfig.json, in
// `npm run typecheck`). How an app uses it: README.md here.
import type { FirebaseApp } from "firebase/app";
import {
  collection,
  doc,
  type DocumentData,
  type Firestore,
  getDocs,
  getFirestore,
  limit,
  onSnapshot,
  orderBy,
  query,
  type QueryDocumentSnapshot,
  startAfter,
  type Unsubscribe,
} from "firebase/firestore";
import { type Functions, getFunctions, httpsCallable } from "firebase/functions";
import type { MarkNotificationsReadResponse } from "../../functions/src/functions/markNotificationsRead";
import type { MarkReadRequest } from "../../functions/src/notifications/markRead";

export type { MarkReadRequest };

/** One item of the feed, as the server wrote it. */
export interface FeedItem {
  /** The item's id (the delivery's id): what `markRead` takes. */
  id: string;
  /** The push's kind: "comment", "comment_digest", "follow", "request", … */
  kind: string;
  title: string;
  body: string | null;
  /** The push's `data` (all strings): `data.type` routes a tap as on the push (pushRoute.ts). */
  data: Record<string, string>;
  createdAt: Date | null;
  read: boolean;
}

/** Where a page of the feed ends: pass it as `after` for the next one (null: there is no next page). */
export type FeedCursor = QueryDocumentSnapshot<DocumentData>;

export interface FeedPage {
  items: FeedItem[];
  next: FeedCursor | null;
}

export interface NotificationFeedOptions {
  app: FirebaseApp;
  /** Functions to call `markNotificationsRead` with (defaults to the app's, us-central1). */
  functions?: Functions;
  /** Firestore to read the feed from (defaults to the app's). */
  firestore?: Firestore;
}

/** Items a page holds unless told otherwise. */
export const FEED_PAGE_SIZE = 20;
/** The most ids one `markRead` call takes (the callable's limit). */
export const MARK_READ_MAX_IDS = 500;

export class NotificationFeed {
  private readonly functions: Functions;
  private readonly firestore: Firestore;

  constructor(options: NotificationFeedOptions) {
    this.functions = options.functions ?? getFunctions(options.app, "us-central1");
    this.firestore = options.firestore ?? getFirestore(options.app);
  }

  /** The user's unread count (`notifications/{uid}.unread`), now and at every change: for the bell and badge. */
  watchUnread(
    uid: string,
    listener: (unread: number) => void,
    onError?: (error: Error) => void,
  ): Unsubscribe {
    return onSnapshot(
      doc(this.firestore, "notifications", uid),
      (snapshot) => listener(countOf(snapshot.get("unread"))),
      onError,
    );
  }

  /**
   * The newest `pageSize` items, newest first, now and at every change (a new push, an item read on any
   * device). Older items: `page(uid, { after: next })` with the cursor the listener gives.
   */
  watchLatest(
    uid: string,
    listener: (page: FeedPage) => void,
    { pageSize = FEED_PAGE_SIZE }: { pageSize?: number } = {},
    onError?: (error: Error) => void,
  ): Unsubscribe {
    return onSnapshot(
      query(this.items(uid), orderBy("createdAt", "desc"), limit(pageSize)),
      (snapshot) => listener(pageOf(snapshot.docs, pageSize)),
      onError,
    );
  }

  /** One page of the feed, newest first: the first without `after`, the next with the cursor of the last. */
  async page(
    uid: string,
    { pageSize = FEED_PAGE_SIZE, after }: { pageSize?: number; after?: FeedCursor | null } = {},
  ): Promise<FeedPage> {
    const newestFirst = [
      orderBy("createdAt", "desc"),
      ...(after ? [startAfter(after)] : []),
      limit(pageSize),
    ];
    const snapshot = await getDocs(query(this.items(uid), ...newestFirst));
    return pageOf(snapshot.docs, pageSize);
  }

  /**
   * Marks these items of the signed-in user read (unknown ids are ignored; again is harmless); answers their
   * unread count after. More than 500 ids go in several calls. Bad input fails with a `FunctionsError` of code
   * `functions/invalid-argument` (its `details` name each problem).
   */
  async markRead(ids: readonly string[]): Promise<number> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) throw emptyIds();
    let unread = 0;
    for (let start = 0; start < unique.length; start += MARK_READ_MAX_IDS)
      unread = await this.call({ ids: unique.slice(start, start + MARK_READ_MAX_IDS) });
    return unread;
  }

  /** Marks every item of the signed-in user read; answers their unread count after (0 unless a push raced it). */
  markAllRead(): Promise<number> {
    return this.call({ all: true });
  }

  private async call(request: MarkReadRequest): Promise<number> {
    const markNotificationsRead = httpsCallable<MarkReadRequest, MarkNotificationsReadResponse>(
      this.functions,
      "markNotificationsRead",
    );
    return (await markNotificationsRead(request)).data.unread;
  }

  private items(uid: string) {
    return collection(this.firestore, "notifications", uid, "items");
  }
}

/** An item as stored, read leniently (what is missing gets an empty value). */
export function feedItemOf(snapshot: QueryDocumentSnapshot<DocumentData>): FeedItem {
  const data: unknown = snapshot.get("data");
  const createdAt: unknown = snapshot.get("createdAt", { serverTimestamps: "estimate" });
  return {
    id: snapshot.id,
    kind: stringOr(snapshot.get("kind"), ""),
    title: stringOr(snapshot.get("title"), ""),
    body: typeof snapshot.get("body") === "string" ? (snapshot.get("body") as string) : null,
    data:
      typeof data === "object" && data !== null
        ? Object.fromEntries(
            Object.entries(data).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
          )
        : {},
    createdAt:
      typeof createdAt === "object" && createdAt !== null && "toDate" in createdAt
        ? (createdAt as { toDate(): Date }).toDate()
        : null,
    read: snapshot.get("read") === true,
  };
}

function pageOf(docs: QueryDocumentSnapshot<DocumentData>[], pageSize: number): FeedPage {
  return { items: docs.map(feedItemOf), next: docs.length === pageSize ? (docs.at(-1) ?? null) : null };
}

function countOf(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? Math.max(0, value) : 0;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === "string" ? value : fallback;
}

function emptyIds(): Error {
  return new Error("markRead: name at least one item (markAllRead() marks them all)");
}
