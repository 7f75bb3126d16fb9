import type { z } from "zod";
import type { DocumentData, FirestoreDataConverter, QueryDocumentSnapshot } from "firebase-admin/firestore";

/**
 * The converter of every collection: reads parse and check the stored shape against `schema`; writes pass
 * through (sentinels such as `serverTimestamp()` and `increment()` included).
 */
export function converterOf<T extends DocumentData>(schema: z.ZodType<T>): FirestoreDataConverter<T> {
  return {
    toFirestore: (value) => value,
    fromFirestore: (snapshot: QueryDocumentSnapshot) => schema.parse(snapshot.data()),
  };
}
