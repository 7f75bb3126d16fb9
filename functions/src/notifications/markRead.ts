/**
 * `markNotificationsRead` (docs/api.md, "The notification feed"): which of the caller's items to mark read,
 * validated; and the silent badge update their other devices get after the count changed.
 */
import { z } from "zod";
import type { TokenMessage } from "firebase-admin/messaging";

/** An item id as the feed writes them (a delivery's id): a Firestore doc id, never a path. */
const itemId = z
  .string()
  .min(1, "must not be empty")
  .max(1_500, "must be at most 1500 characters")
  .refine((id) => !id.includes("/") && id !== "." && id !== "..", "must be a feed item id");

export const markReadRequest = z
  .strictObject({
    ids: z
      .array(itemId)
      .min(1, "must name at least 1 item")
      .max(500, "must name at most 500 items")
      .optional(),
    all: z.literal(true, { error: "must be true" }).optional(),
  })
  .superRefine((request, context) => {
    if (request.ids !== undefined && request.all !== undefined)
      context.addIssue({ code: "custom", message: "give either ids or all, not both", path: ["all"] });
    if (request.ids === undefined && request.all === undefined)
      context.addIssue({ code: "custom", message: "give ids (1..500 item ids) or all: true", path: [] });
  });
export type MarkReadRequest = { ids: string[]; all?: undefined } | { all: true; ids?: undefined };

/**
 * The silent badge update of one device: `data: { type: "badge", unread }`, APNs `aps.badge` with
 * `content-available` and no alert or sound (the badge changes, nothing is shown), Android and Web data only. One per user collapses
 * the ones before it.
 */
export function badgeUpdate(token: string, unread: number): TokenMessage {
  return {
    token,
    data: { type: "badge", unread: String(unread) },
    android: { collapseKey: "badge", priority: "normal" },
    apns: {
      // An "alert" push with nothing to show but the badge: Apple wants that type for any push carrying
      // `badge` (a "background" one may carry only content-available, and iOS may drop its badge); priority 5
      // lets the device batch it.
      headers: { "apns-push-type": "alert", "apns-priority": "5", "apns-collapse-id": "badge" },
      payload: { aps: { badge: unread, contentAvailable: true } },
    },
    webpush: { headers: { Topic: "badge", Urgency: "normal" } },
  };
}
