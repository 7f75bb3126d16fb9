import { z } from "zod";
import type { DocumentSnapshot, Firestore } from "firebase-admin/firestore";
import { chunk, mapWithConcurrency } from "../shared/batches";
import { converterOf } from "../shared/converter";
import type { PreferenceKey } from "../push/kind";

/**
 * `users/{uid}` as the server reads it (docs/api.md: `displayName: string (1..80)`,
 * `notifications?: { comments?, follows?, announcements?: boolean }`). The rules hold clients to that shape; a document written
 * otherwise (by hand, through the Admin SDK) reads as "no name" and "no opt-out" rather than failing the
 * whole fan-out of a comment for everybody.
 */
export const userDoc = z.object({
  displayName: z.string().optional().catch(undefined),
  notifications: z
    .object({
      comments: z.boolean().optional().catch(undefined),
      follows: z.boolean().optional().catch(undefined),
      announcements: z.boolean().optional().catch(undefined),
    })
    .optional()
    .catch(undefined),
});
export type UserDoc = z.infer<typeof userDoc>;

export const userConverter = converterOf(userDoc);

export const USERS = "users";

/** How many user docs one `getAll` reads, and how many such reads run at once. */
const GET_ALL_BATCH = 100;
const GET_ALL_CONCURRENCY = 5;

/** The one place that reads `users`. */
export class UserStore {
  constructor(private readonly db: Firestore) {}

  private users() {
    return this.db.collection(USERS).withConverter(userConverter);
  }

  /** `users/{uid}.displayName`, or `undefined` when the user has no doc or no name. */
  async displayNameOf(uid: string): Promise<string | undefined> {
    return (await this.users().doc(uid).get()).data()?.displayName;
  }

  /**
   * Of `uids`, those whose `notifications[key]` is `false` (a kind's preference key: push/kind.ts). Reads
   * the docs with `getAll`, a batch of 100 per round trip and 5 round trips at a time; a missing doc is not
   * an opt-out.
   */
  async optOutsAmong(uids: readonly string[], key: PreferenceKey): Promise<Set<string>> {
    const batches = chunk([...new Set(uids)], GET_ALL_BATCH);
    const snapshots = await mapWithConcurrency(batches, GET_ALL_CONCURRENCY, (batch) =>
      this.db.getAll(...batch.map((uid) => this.users().doc(uid))),
    );
    const optedOut = new Set<string>();
    for (const snapshot of snapshots.flat() as DocumentSnapshot<UserDoc>[]) {
      if (snapshot.data()?.notifications?.[key] === false) optedOut.add(snapshot.id);
    }
    return optedOut;
  }
}
