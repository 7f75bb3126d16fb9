import { lazyFirestore } from "../shared/lazyFirestore";
import type { NotificationStore } from "./notificationStore";

/** The callables' store, loaded on first use: function files import only this module. */
export async function notificationStore(): Promise<NotificationStore> {
  const [{ NotificationStore }, db] = await Promise.all([import("./notificationStore"), lazyFirestore()]);
  return new NotificationStore(db);
}
