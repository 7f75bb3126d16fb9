/**
 * `notifications/{uid}`: a user's preferences (and, with the feed, their unread count). Server-only writes;
 * its owner reads it (firestore.rules).
 *
 * Why the fan-out reads this doc beside the device list, rather than a copy of the preferences kept on the
 * device list (docs/delivery.md, "Reading the audience"): a copy would save a read per recipient but cost a
 * write per change, and the feed's unread count lives here too and changes with every push, so a copy of
 * this doc would cost a write per push. Reading both, by key, in one round trip each per 100 recipients, is
 * two reads per recipient and exact: every fan-out that starts after `setNotificationPreferences` returned
 * reads what it wrote.
 */
import {
  FieldValue,
  Timestamp,
  type DocumentSnapshot,
  type Firestore,
  type Transaction,
} from "firebase-admin/firestore";
import { chunk, mapWithConcurrency } from "../shared/batches";
import { grpcStatus, hasGrpcCode } from "../shared/grpc";
import { retryTransient } from "../shared/writeRetry";
import type { PreferenceKey } from "../push/kind";
import {
  defaultPreferences,
  mergePreferences,
  storedPreferences,
  type Preferences,
  type SetPreferencesRequest,
} from "./preferences";
import type { QuietHours } from "./quietHours";
import type { MarkReadRequest } from "./markRead";

export const NOTIFICATIONS = "notifications";
export const ITEMS = "items";
const PREFERENCES = "preferences";
const UNREAD = "unread";

/** Recipients whose items are written in one atomic batch (an item and its count: two writes each). */
const ITEMS_PER_BATCH = 250;
/** Batches of a page committed at once; after a conflict, single recipients at once. */
const BATCH_CONCURRENCY = 4;
const SINGLE_CONCURRENCY = 25;
/** Items a `markRead` of all flips per transaction. */
const MARK_ALL_BATCH = 500;

/** What a feed item says (docs/api.md, "The notification feed"), as the send path makes it for one recipient. */
export type FeedEntry = {
  uid: string;
  kind: string;
  title: string;
  body: string | null;
  data: Record<string, string>;
};

/** How many docs one `getAll` reads, and how many such reads run at once (as the device lists are read). */
const GET_ALL_BATCH = 100;
const GET_ALL_CONCURRENCY = 5;

/** What a page of the audience needs to know of its candidates' settings for one kind. */
export type AudienceSettings = {
  /** Those who turned the kind off. */
  off: Set<string>;
  /** The quiet hours of those who set some (and did not turn the kind off). */
  quietHours: Map<string, QuietHours>;
  /** Their unread counts as read (absent: none, or no doc). */
  unread: Map<string, number>;
};

export class NotificationStore {
  constructor(private readonly db: Firestore) {}

  private doc(uid: string) {
    return this.db.collection(NOTIFICATIONS).doc(uid);
  }

  /**
   * Of `uids`, who turned `key` off and who has quiet hours, as their docs say now: `getAll`, 100 docs a round
   * trip, 5 at a time. A missing doc (a user who never set anything) is every kind on, no quiet hours.
   */
  async audienceSettings(uids: readonly string[], key: PreferenceKey): Promise<AudienceSettings> {
    const batches = chunk([...new Set(uids)], GET_ALL_BATCH);
    const snapshots = await mapWithConcurrency(batches, GET_ALL_CONCURRENCY, (batch) =>
      this.db.getAll(...batch.map((uid) => this.doc(uid))),
    );
    const settings: AudienceSettings = { off: new Set(), quietHours: new Map(), unread: new Map() };
    for (const snapshot of snapshots.flat()) {
      if (!snapshot.exists) continue;
      const preferences = storedPreferences(snapshot.get(PREFERENCES));
      if (!preferences.kinds[key]) {
        settings.off.add(snapshot.id);
        continue;
      }
      if (preferences.quietHours) settings.quietHours.set(snapshot.id, preferences.quietHours);
      const unread: unknown = snapshot.get(UNREAD);
      if (typeof unread === "number" && unread > 0) settings.unread.set(snapshot.id, unread);
    }
    return settings;
  }

  /**
   * One feed item per entry, `notifications/{uid}/items/{itemId}`, each created in the same atomic commit as
   * its owner's `unread` increment, so the count is exactly the items written (docs/delivery.md, "The
   * feed"). `itemId` is the delivery's id: a run that writes a recipient's item again (a retry, a resumed
   * enqueue) finds it and changes nothing. Normally a batch of 250 recipients commits whole; a batch that
   * meets an item written before is redone one recipient at a time, skipping those. Returns the uids whose
   * item this call created.
   */
  async addItems(itemId: string, entries: readonly FeedEntry[], expireAt: Date): Promise<Set<string>> {
    const created = new Set<string>();
    await mapWithConcurrency(chunk(entries, ITEMS_PER_BATCH), BATCH_CONCURRENCY, async (part) => {
      try {
        await retryTransient(() => this.commitItems(itemId, part, expireAt));
        for (const entry of part) created.add(entry.uid);
      } catch (error) {
        if (!hasGrpcCode(error, grpcStatus.ALREADY_EXISTS)) throw error;
        await mapWithConcurrency(part, SINGLE_CONCURRENCY, async (entry) => {
          try {
            await retryTransient(() => this.commitItems(itemId, [entry], expireAt));
            created.add(entry.uid);
          } catch (single) {
            if (!hasGrpcCode(single, grpcStatus.ALREADY_EXISTS)) throw single;
          }
        });
      }
    });
    return created;
  }

  private commitItems(itemId: string, entries: readonly FeedEntry[], expireAt: Date) {
    const batch = this.db.batch();
    const expires = Timestamp.fromDate(expireAt);
    for (const { uid, ...item } of entries) {
      batch.create(this.doc(uid).collection(ITEMS).doc(itemId), {
        ...item,
        createdAt: FieldValue.serverTimestamp(),
        read: false,
        expireAt: expires,
      });
      batch.set(this.doc(uid), { [UNREAD]: FieldValue.increment(1) }, { merge: true });
    }
    return batch.commit();
  }

  /**
   * Marks the caller's items read: those named (unknown ids ignored; only `uid`'s own items can be named,
   * the path is theirs), or every unread one, 500 a transaction. Each transaction reads the items, flips the
   * unread ones and lowers `unread` by exactly that many, so the count stays the number of unread items
   * whatever runs at once (pushes add items and raise it in their own commits). Returns how many it changed
   * and the count after.
   */
  async markRead(uid: string, request: MarkReadRequest): Promise<{ changed: number; unread: number }> {
    const items = this.doc(uid).collection(ITEMS);
    const flip = (read: (transaction: Transaction) => Promise<DocumentSnapshot[]>) =>
      this.db.runTransaction(async (transaction) => {
        const unread = (await read(transaction)).filter(
          (snapshot) => snapshot.exists && snapshot.get("read") === false,
        );
        for (const snapshot of unread) transaction.update(snapshot.ref, { read: true });
        if (unread.length > 0)
          transaction.set(this.doc(uid), { [UNREAD]: FieldValue.increment(-unread.length) }, { merge: true });
        return unread.length;
      });
    let changed = 0;
    if (request.ids) {
      const refs = [...new Set(request.ids)].map((id) => items.doc(id));
      changed = await flip((transaction) => transaction.getAll(...refs));
    } else {
      for (;;) {
        const flipped = await flip(
          async (transaction) =>
            (await transaction.get(items.where("read", "==", false).limit(MARK_ALL_BATCH))).docs,
        );
        changed += flipped;
        if (flipped < MARK_ALL_BATCH) break;
      }
    }
    const count: unknown = (await this.doc(uid).get()).get(UNREAD);
    return { changed, unread: typeof count === "number" ? Math.max(0, count) : 0 };
  }

  /** The user's preferences as stored (the defaults when they never set any). */
  async preferencesOf(uid: string): Promise<Preferences> {
    const snapshot = await this.doc(uid).get();
    return snapshot.exists ? storedPreferences(snapshot.get(PREFERENCES)) : defaultPreferences();
  }

  /**
   * Merges `change` into the user's preferences and stores the whole result, in a transaction (two calls at
   * once never lose either's change); returns what is stored. The doc's other fields are left as they are.
   */
  async setPreferences(uid: string, change: SetPreferencesRequest): Promise<Preferences> {
    const ref = this.doc(uid);
    return this.db.runTransaction(async (transaction) => {
      const snapshot = await transaction.get(ref);
      const stored = snapshot.exists ? storedPreferences(snapshot.get(PREFERENCES)) : defaultPreferences();
      const merged = mergePreferences(stored, change);
      // The whole map replaces the stored one (a merge of maps would keep keys that are not ours).
      if (snapshot.exists) transaction.update(ref, { [PREFERENCES]: merged });
      else transaction.create(ref, { [PREFERENCES]: merged });
      return merged;
    });
  }
}
