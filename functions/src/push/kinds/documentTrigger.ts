/**
 * A kind whose work comes from a created Firestore document (a follower, an outbox request): its trigger
 * function, made from the kind (the registry exports it), and the handler behind it. The engine is told the
 * delivery (the event's id, the kind, the subject from the path) and the kind's planner; nothing else.
 */
import { onDocumentCreated } from "firebase-functions/v2/firestore";
import { PUSH_SERVICE_ACCOUNT, pushRetryPolicy, pushTasksThreshold } from "../../params";
import type { GivenDeps } from "../defaults";
import type { PushOutcome } from "../delivery";
import type { TaskFanOut } from "../deps";
import type { AnyPushKind, PushKind } from "../kind";
import type { KindPlan } from "../plan";
import type { AppStores } from "./appStores";

/** What a kind's planner reads of a document-created event. */
export type DocumentEvent = {
  id: string;
  params: Record<string, string>;
  data?: { data(): unknown } | undefined;
};

export type DocumentKind<Content> = PushKind<Content> & {
  source: {
    /** The created document that asks for a push, e.g. `users/{uid}/followers/{followerUid}`. */
    document: string;
    /** The ids recorded on the delivery and logged, from the document's path. */
    subject(params: Record<string, string>): Record<string, string>;
    /** The delivery's id: the event's own unless the kind keys it otherwise (e.g. by the request doc). */
    deliveryId?(event: DocumentEvent): string;
    /** What the push says and who hears it (read, not sent), or why nothing is sent. */
    plan(event: DocumentEvent, stores: AppStores, tasks: TaskFanOut | undefined): Promise<KindPlan<Content>>;
  };
};

/** Handles one event of `kind`; `deps` replaces any collaborator (tests). */
export async function handleDocumentEvent<Content>(
  kind: DocumentKind<Content>,
  event: DocumentEvent,
  deps: Partial<GivenDeps<unknown>> = {},
): Promise<PushOutcome> {
  // The engine is loaded at the first event, not at every cold start (index.ts loads every function).
  const [{ pushDeps, pushSliceQueue }, { deliverPush }, { planOf }] = await Promise.all([
    import("../defaults"),
    import("../delivery"),
    import("../plan"),
  ]);
  const full = await pushDeps({
    ...deps,
    policy: deps.policy ?? pushRetryPolicy(),
    tasks: deps.tasks ?? { threshold: pushTasksThreshold(), queue: pushSliceQueue() },
  });
  const id = kind.source.deliveryId?.(event) ?? event.id;
  const delivery = { id, kind, subject: kind.source.subject(event.params) };
  return deliverPush(delivery, full, async (tasks) =>
    planOf(await kind.source.plan(event, full.stores, tasks), tasks),
  );
}

/** A function of the registry, with the kind it delivers (for the slice task, and for `npm run deploy:iam`). */
export type KindFunction<F> = F & { pushKind: AnyPushKind };

export function registered<F extends object>(kind: AnyPushKind, fn: F): KindFunction<F> {
  return Object.assign(fn, { pushKind: kind });
}

/** The trigger of a document kind: retried (the gate makes it exactly once), as long as the kind's timeout. */
export function documentTrigger<Content>(kind: DocumentKind<Content>) {
  const trigger = onDocumentCreated(
    {
      document: kind.source.document,
      // Safe with the pushDeliveries gate: only runs that sent nothing are run again (docs/delivery.md).
      retry: true,
      timeoutSeconds: kind.timeoutSeconds,
      // It enqueues sendPushSlice tasks: see params.ts PUSH_SERVICE_ACCOUNT and docs/deploy.md "IAM".
      serviceAccount: PUSH_SERVICE_ACCOUNT,
    },
    async (event) => {
      await handleDocumentEvent(kind, event);
    },
  );
  return registered(kind as AnyPushKind, trigger);
}
