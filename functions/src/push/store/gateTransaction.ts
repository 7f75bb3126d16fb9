import { z } from "zod";
import {
  FieldValue,
  Timestamp,
  type DocumentData,
  type DocumentReference,
  type Firestore,
} from "firebase-admin/firestore";
import { grpcStatus, hasGrpcCode } from "../../shared/grpc";
import {
  beginResultOf,
  decideGate,
  gateStatuses,
  type BeginResult,
  type GateRecord,
  type GateRules,
} from "../domain/gate";

/** The gate fields of a delivery or a slice doc, as the decision reads them. */
const gateFields = z.object({
  status: z.enum(gateStatuses),
  attempts: z.number().int().min(0).optional(),
  sendStarted: z.boolean().optional(),
  leaseExpiresAt: z.instanceof(Timestamp).optional(),
  counted: z.boolean().optional(),
  enqueueing: z.boolean().optional(),
  createdAt: z.instanceof(Timestamp).optional().catch(undefined),
});

/** What the gate rule reads of a stored doc. */
export function gateRecordOf(data: unknown): GateRecord {
  const { leaseExpiresAt, createdAt, ...rest } = gateFields.parse(data);
  return { ...rest, leaseExpiresAtMs: leaseExpiresAt?.toMillis(), createdAtMs: createdAt?.toMillis() };
}

/**
 * The gate (docs/delivery.md) in one transaction on `ref`: `decideGate` over what the doc holds and the
 * time, then the write it calls for (create `fresh` with a lease, or take the doc over with a new one). The
 * delivery store and the slice store share it. `clock` gives ms since the epoch (wall time: leases are
 * compared across instances).
 */
export async function passGate<T extends DocumentData>(
  db: Firestore,
  ref: DocumentReference<T>,
  fresh: T,
  rules: GateRules,
  clock: () => number = Date.now,
): Promise<BeginResult> {
  const raw = ref.withConverter(null);
  try {
    return await db.runTransaction(async (tx) => {
      const snapshot = await tx.get(raw);
      const now = clock();
      const decision = decideGate(snapshot.exists ? gateRecordOf(snapshot.data()) : undefined, rules, now);
      if (decision.kind === "create") {
        tx.create(ref, { ...fresh, leaseExpiresAt: Timestamp.fromMillis(decision.leaseExpiresAtMs) });
      }
      if (decision.kind === "take-over" || decision.kind === "resume") {
        tx.update(raw, {
          status: "sending",
          attempts: decision.attempt,
          leaseExpiresAt: Timestamp.fromMillis(decision.leaseExpiresAtMs),
          error: FieldValue.delete(),
        });
      }
      return beginResultOf(decision, now);
    });
  } catch (error) {
    // A concurrent run created the doc between our read and our create: it owns the record for now.
    if (!hasGrpcCode(error, grpcStatus.ALREADY_EXISTS)) throw error;
    const existing = gateFields.safeParse((await raw.get()).data());
    return {
      owned: false,
      status: existing.success ? existing.data.status : "sending",
      sendStarted: existing.success ? (existing.data.sendStarted ?? true) : true,
      retryAfterMs: rules.leaseMs,
    };
  }
}
