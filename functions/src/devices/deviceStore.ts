import { z } from "zod";
import {
  FieldValue,
  Timestamp,
  type DocumentData,
  type Firestore,
  type FirestoreDataConverter,
  type QueryDocumentSnapshot,
} from "firebase-admin/firestore";
import { platforms } from "./deviceSchemas";
import { deviceIdOf } from "./deviceId";
import { devicesToEvict } from "./eviction";

const timestamp = z.instanceof(Timestamp);

/** `devices/{deviceId}` as stored (CONTRACT "Firestore data model"). */
export const deviceDoc = z.object({
  uid: z.string(),
  token: z.string(),
  platform: z.enum(platforms),
  locale: z.string().nullable(),
  appVersion: z.string().nullable(),
  createdAt: timestamp,
  lastSeenAt: timestamp,
  lastSentAt: timestamp.optional(),
  rejected: z.object({ code: z.string(), at: timestamp }).optional(),
});
export type DeviceDoc = z.infer<typeof deviceDoc>;

/** Reads parse and check the stored shape; writes pass through (sentinels such as serverTimestamp included). */
export const deviceConverter: FirestoreDataConverter<DeviceDoc> = {
  toFirestore: (device) => device as DocumentData,
  fromFirestore: (snapshot: QueryDocumentSnapshot) => deviceDoc.parse(snapshot.data()),
};

export const DEVICES = "devices";

export type Registration = {
  uid: string;
  token: string;
  platform: DeviceDoc["platform"];
  locale?: string | undefined;
  appVersion?: string | undefined;
};

export type RegistrationResult = {
  deviceId: string;
  created: boolean;
  previousOwner: string | null;
  evicted: string[];
};

/** The one place that reads and writes `devices`. */
export class DeviceStore {
  constructor(
    private readonly db: Firestore,
    private readonly maxDevicesPerUser = 10,
  ) {}

  collection() {
    return this.db.collection(DEVICES).withConverter(deviceConverter);
  }

  /**
   * Upserts the caller's device in one transaction: keeps `createdAt`, refreshes `lastSeenAt`, clears any
   * rejection mark, moves a token registered by someone else to the caller, and evicts the caller's least
   * recently seen devices beyond the limit. Contending calls (the same token, the same user) are retried
   * by the transaction, so the document always ends consistent.
   */
  async register(registration: Registration): Promise<RegistrationResult> {
    const deviceId = deviceIdOf(registration.token);
    const ref = this.collection().doc(deviceId);
    const owned = this.collection().where("uid", "==", registration.uid);

    return this.db.runTransaction(
      async (tx) => {
        const [current, mine] = await Promise.all([tx.get(ref), tx.get(owned)]);
        const existing = current.exists ? current.data() : undefined;
        const others = mine.docs
          .filter((doc) => doc.id !== deviceId)
          .map((doc) => ({ id: doc.id, lastSeenMillis: doc.data().lastSeenAt.toMillis() }));
        const evicted = devicesToEvict(others, this.maxDevicesPerUser);

        tx.set(ref, {
          uid: registration.uid,
          token: registration.token,
          platform: registration.platform,
          locale: registration.locale ?? null,
          appVersion: registration.appVersion ?? null,
          createdAt: existing?.createdAt ?? (FieldValue.serverTimestamp() as Timestamp),
          lastSeenAt: FieldValue.serverTimestamp() as Timestamp,
        });
        for (const id of evicted) tx.delete(this.collection().doc(id));

        const previousOwner = existing && existing.uid !== registration.uid ? existing.uid : null;
        return { deviceId, created: !existing, previousOwner, evicted };
      },
      { maxAttempts: 20 },
    );
  }

  /** Deletes the device of `token` when `uid` owns it; reports whether it did. */
  async unregister(uid: string, token: string): Promise<boolean> {
    const ref = this.collection().doc(deviceIdOf(token));
    return this.db.runTransaction(async (tx) => {
      const current = await tx.get(ref);
      if (!current.exists || current.data()?.uid !== uid) return false;
      tx.delete(ref);
      return true;
    });
  }
}
