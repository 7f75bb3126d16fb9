import { z } from "zod";
import {
  FieldValue,
  type DocumentData,
  type DocumentReference,
  type Firestore,
} from "firebase-admin/firestore";
import { grpcStatus, hasGrpcCode } from "../../shared/grpc";
import { beginResultOf, decideGate, gateStatuses, type BeginResult, type GateRules } from "../domain/gate";

/** The gate fields of a delivery or a slice doc, as the decision reads them. */
const gateRecord = z.object({
  status: z.enum(gateStatuses),
  attempts: z.number().int().min(0).optional(),
  sendStarted: z.boolean().optional(),
});

/**
 * The gate (docs/delivery.md) in one transaction on `ref`: `decideGate` over what the doc holds, then the
 * write it calls for (create `fresh`, or take the doc over). The delivery store and the slice store share it.
 */
export async function passGate<T extends DocumentData>(
  db: Firestore,
  ref: DocumentReference<T>,
  fresh: T,
  rules: GateRules,
): Promise<BeginResult> {
  const raw = ref.withConverter(null);
  try {
    return await db.runTransaction(async (tx) => {
      const snapshot = await tx.get(raw);
      const decision = decideGate(snapshot.exists ? gateRecord.parse(snapshot.data()) : undefined, rules);
      if (decision.kind === "create") tx.create(ref, fresh);
      if (decision.kind === "take-over") {
        tx.update(raw, { status: "sending", attempts: decision.attempt, error: FieldValue.delete() });
      }
      return beginResultOf(decision);
    });
  } catch (error) {
    // A concurrent run created the doc between our read and our create: it owns the delivery.
    if (!hasGrpcCode(error, grpcStatus.ALREADY_EXISTS)) throw error;
    const existing = gateRecord.safeParse((await raw.get()).data());
    return {
      owned: false,
      status: existing.success ? existing.data.status : "sending",
      sendStarted: existing.success ? (existing.data.sendStarted ?? true) : true,
    };
  }
}
