/**
 * A throw-away push kind, written step by step the way docs/kinds.md ("Add your own push kind") tells a team
 * to write one, to prove the guide suffices (test/integration/throwaway-kind.test.ts). In an app it would be
 * `functions/src/push/kinds/kudos/kudos.ts`; only its imports' paths differ here.
 *
 * `users/{uid}/kudos/{kudosId}` created by another user (`{ fromUid, text, createdAt }`) notifies `uid`.
 */
import { z } from "zod";
import {
  displayNameOf,
  languageOf,
  platformBlocks,
  truncateCodePoints,
} from "../../functions/src/push/domain/message";
import type { DocumentKind } from "../../functions/src/push/kinds/documentTrigger";

const id = z.string().min(1).max(1_500);

/** Step 1, the content: everything each message is rendered from, and what a slice task carries. */
const kudosContent = z.object({
  uid: id,
  kudosId: id,
  fromUid: id,
  fromName: z.string().max(1_000).optional(),
  text: z.string().min(1).max(2_000),
});
type KudosContent = z.infer<typeof kudosContent>;

/** The source document as a client writes it (the rules hold clients to it; the planner checks it again). */
const kudosDoc = z.object({ fromUid: id, text: z.string().min(1).max(500) });

/** The localized title: the sender's name, or "Someone" when they have none. */
export function kudosTitle(language: "ko" | "en", name: string | undefined): string {
  if (language === "ko") return `${name ?? "누군가"}님이 칭찬을 보냈습니다`;
  return `${name ?? "Someone"} sent you kudos`;
}

/** The Android channel the clients create for it (docs/kinds.md, step 5). */
export const KUDOS_CHANNEL = "kudos";

export const kudosKind: DocumentKind<KudosContent> = {
  // Step 1, the name: pushDeliveries.kind, the slice task's kind, the logs' kind.
  name: "kudos",
  content: kudosContent,
  // Step 1, the preference key: one of push/kind.ts `preferenceKeys`.
  preference: () => "announcements",
  // Step 1, the render: one device's message.
  render: ({ uid, kudosId, fromUid, fromName, text }, device, options) => ({
    token: device.token,
    notification: {
      title: kudosTitle(languageOf(device.locale), displayNameOf(fromName)),
      body: truncateCodePoints(text),
    },
    data: { type: "kudos", uid, kudosId, fromUid },
    ...platformBlocks(
      { channelId: KUDOS_CHANNEL, threadId: "kudos", collapseId: `kudos-${kudosId}` },
      options.ttlSeconds,
      options.nowMs,
    ),
  }),
  // Step 1, the timeout: its trigger's, from which its lease comes.
  timeoutSeconds: 60,
  // Step 1, the source: where its work comes from, and the plan.
  source: {
    document: "users/{uid}/kudos/{kudosId}",
    subject: ({ uid = "", kudosId = "" }) => ({ uid, kudosId }),
    async plan(event, stores) {
      const { uid = "", kudosId = "" } = event.params;
      const parsed = kudosDoc.safeParse(event.data?.data());
      if (!parsed.success) return { kind: "skip", skip: "not a kudos document", status: "failed" };
      const { fromUid, text } = parsed.data;
      if (fromUid === uid) return { kind: "skip", skip: "a user sent themselves kudos", status: "done" };
      const fromName = await stores.users.displayNameOf(fromUid);
      const { audienceOf } = await import("../../functions/src/push/audience");
      return {
        content: { uid, kudosId, fromUid, text, ...(fromName === undefined ? {} : { fromName }) },
        audience: {
          pages: audienceOf(stores, [uid], "announcements"),
          maxDevices: stores.devices.maxDevicesPerUser,
        },
      };
    },
  },
};
