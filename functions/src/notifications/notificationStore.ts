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
import type { Firestore } from "firebase-admin/firestore";
import { chunk, mapWithConcurrency } from "../shared/batches";
import type { PreferenceKey } from "../push/kind";
import {
  defaultPreferences,
  mergePreferences,
  storedPreferences,
  type Preferences,
  type SetPreferencesRequest,
} from "./preferences";
import type { QuietHours } from "./quietHours";

export const NOTIFICATIONS = "notifications";
const PREFERENCES = "preferences";

/** How many docs one `getAll` reads, and how many such reads run at once (as the device lists are read). */
const GET_ALL_BATCH = 100;
const GET_ALL_CONCURRENCY = 5;

/** What a page of the audience needs to know of its candidates' settings for one kind. */
export type AudienceSettings = {
  /** Those who turned the kind off. */
  off: Set<string>;
  /** The quiet hours of those who set some (and did not turn the kind off). */
  quietHours: Map<string, QuietHours>;
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
    const settings: AudienceSettings = { off: new Set(), quietHours: new Map() };
    for (const snapshot of snapshots.flat()) {
      if (!snapshot.exists) continue;
      const preferences = storedPreferences(snapshot.get(PREFERENCES));
      if (!preferences.kinds[key]) settings.off.add(snapshot.id);
      else if (preferences.quietHours) settings.quietHours.set(snapshot.id, preferences.quietHours);
    }
    return settings;
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
