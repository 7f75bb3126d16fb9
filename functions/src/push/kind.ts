/**
 * What a push kind is to the engine (docs/kinds.md): a name, the content every one of its messages is made
 * from (validated wherever it crosses a process, e.g. in a slice task), the preference key its recipients
 * turn it off with, and how one device's message is rendered. Where a kind's work comes from (its trigger)
 * and who its audience is are the kind's own business: they meet the engine in `KindPlan` (plan.ts; a document-triggered kind: kinds/documentTrigger.ts).
 * The engine knows nothing else of a kind: no posts, no comments.
 */
import type { z } from "zod";
import type { ActiveDevice } from "../devices/deviceDoc";
import type { DeliveryIds } from "../log/push";
import type { PushMessage } from "./domain/message";

/** The switches of `notifications/{uid}.preferences.kinds` (docs/api.md, "Notification preferences"). */
export const preferenceKeys = ["comments", "follows", "announcements"] as const;
export type PreferenceKey = (typeof preferenceKeys)[number];

/** How a delivery ended, as its record says. */
export type EndedDelivery = {
  status: "done" | "failed";
  counts: { recipients: number; tokens: number; sent: number; failed: number; rejected: number };
  error?: string | undefined;
};

/** What a render is given beside the content: the recipient's device, and the message's TTL and clock. */
export type RenderOptions = { ttlSeconds?: number | undefined; nowMs?: number | undefined };

export type PushKind<Content> = {
  /** `pushDeliveries.kind`, a slice task's `kind`, and the logs' `kind`. */
  readonly name: string;
  /** The content as a slice task carries it: every slice renders the same messages from it. */
  readonly content: z.ZodType<Content>;
  /** Who turns this kind off, for a given content (the outbox lets a request name its key). */
  preference(content: Content): PreferenceKey;
  /** One device's message. Pure: the same content and device give the same message. */
  render(content: Content, device: ActiveDevice, options: RenderOptions): PushMessage;
  /** The content as one slice carries it, when a kind narrows it to the slice's recipients (a digest's counts). */
  forSlice?(content: Content, uids: readonly string[]): Content;
  /**
   * Whether a second copy of a message replaces the first on the device (collapse keys set by `render`), so
   * that a message whose fate is unknown may be sent again (docs/delivery.md, "Duplicates"). Default true.
   */
  readonly collapseSafe?: boolean;
  /**
   * Told when a delivery of this kind has ended (directly, by its last slice): e.g. the outbox writes the
   * outcome onto its request. Its failure is logged; the delivery's record stands either way.
   */
  ended?(content: Content, ended: EndedDelivery): Promise<void>;
  /** The most a run of this kind may take (its function's timeout): its lease is this plus a margin. */
  readonly timeoutSeconds: number;
};

/** A kind whose content type is not known where it is used (the registry, the slice task); `render` is a method, so any kind fits. */
export type AnyPushKind = PushKind<unknown>;

/** One delivery: `pushDeliveries/{id}`, of `kind`, about `subject` (the kind's ids, recorded on it and logged). */
export type Delivery<Content> = {
  id: string;
  kind: PushKind<Content>;
  subject: Readonly<Record<string, string>>;
};

/** The log fields naming a delivery. */
export function idsOf(delivery: {
  id: string;
  kind: AnyPushKind;
  subject: Readonly<Record<string, string>>;
}) {
  return { kind: delivery.kind.name, deliveryId: delivery.id, ...delivery.subject } as DeliveryIds;
}
