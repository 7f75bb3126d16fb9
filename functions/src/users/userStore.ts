import { z } from "zod";
import type { Firestore } from "firebase-admin/firestore";
import { converterOf } from "../shared/converter";

/**
 * `users/{uid}` as the server reads it (docs/api.md: `displayName: string (1..80)`). The rules hold clients
 * to that shape; a document written otherwise (by hand, through the Admin SDK) reads as "no name" rather
 * than failing the whole fan-out of a comment for everybody. Preferences are not here: they are
 * `notifications/{uid}` (notifications/notificationStore.ts), written by the server only.
 */
export const userDoc = z.object({
  displayName: z.string().optional().catch(undefined),
});
export type UserDoc = z.infer<typeof userDoc>;

export const userConverter = converterOf(userDoc);

export const USERS = "users";

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
}
