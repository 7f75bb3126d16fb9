import type { Firestore } from "firebase-admin/firestore";

/** The default app's Firestore, with firebase-admin loaded on first use (so cold starts do not pay for it). */
export async function lazyFirestore(): Promise<Firestore> {
  const { firestore } = await import("./admin");
  return firestore();
}
