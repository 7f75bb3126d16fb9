/**
 * The request kind, the push outbox (docs/api.md, "The push outbox"): trusted server code writes
 * `pushRequests/{requestId}` and the engine delivers it exactly once, like any kind (slices above the task
 * threshold), writing `delivery` back onto the request (requestDelivery.ts). A request that fails
 * validation ends `ERROR` naming each problem, and nothing is sent.
 */
import { z } from "zod";
import { platformBlocks, truncateCodePoints } from "../../domain/message";
import { preferenceKeys, type PushKind } from "../../kind";
import { documentTrigger, type DocumentKind } from "../documentTrigger";
import { pushRequest, textFor } from "./requestSchema";
import { requestEnded, requestProcessing, requestRefused } from "./requestDelivery";

const requestContent = z.object({
  requestId: z.string().min(1).max(1_500),
  title: pushRequest.shape.title,
  body: pushRequest.shape.body,
  data: z.record(z.string(), z.string()).optional(),
  preference: z.enum(preferenceKeys),
  collapseKey: z.string().min(1).max(64).optional(),
});
type RequestContent = z.infer<typeof requestContent>;

export const requestKind: DocumentKind<RequestContent> & PushKind<RequestContent> = {
  name: "request",
  content: requestContent,
  preference: (content) => content.preference,
  render: (content, device, options) => {
    const body = content.body === undefined ? undefined : textFor(content.body, device.locale);
    return {
      token: device.token,
      notification: {
        title: truncateCodePoints(textFor(content.title, device.locale), 200),
        ...(body === undefined ? {} : { body: truncateCodePoints(body, 1_000) }),
      },
      data: { ...content.data, type: "request", requestId: content.requestId },
      ...platformBlocks(
        {
          channelId: "announcements",
          threadId: "announcements",
          collapseId: content.collapseKey ?? content.requestId,
        },
        options.ttlSeconds,
        options.nowMs,
      ),
    };
  },
  ended: (content, outcome) => requestEnded(content.requestId, outcome),
  timeoutSeconds: 540,
  source: {
    document: "pushRequests/{requestId}",
    subject: ({ requestId = "" }) => ({ requestId }),
    // One delivery per request, not per event: a run of another event for the same doc (a redelivery with
    // an id of its own, a replayed or hand-run trigger) finds the delivery taken and sends nothing.
    deliveryId: ({ params }) => `request-${params.requestId ?? ""}`,
    async plan(event, stores) {
      const { requestId = "" } = event.params;
      const parsed = pushRequest.safeParse(event.data?.data());
      if (!parsed.success) {
        const error = await requestRefused(requestId, parsed.error);
        return { kind: "skip", skip: `invalid request: ${error}`, status: "failed" };
      }
      await requestProcessing(requestId);
      const request = parsed.data;
      const content: RequestContent = {
        requestId,
        title: request.title,
        ...(request.body === undefined ? {} : { body: request.body }),
        ...(request.data === undefined ? {} : { data: request.data }),
        preference: request.kind ?? "announcements",
        ...(request.collapseKey === undefined ? {} : { collapseKey: request.collapseKey }),
      };
      const { audienceOf, readAhead } = await import("../../audience");
      const maxDevices = request.toUids.length * stores.devices.maxDevicesPerUser;
      const pages = readAhead(audienceOf(stores, request.toUids, content.preference));
      return { content, audience: { pages, maxDevices } };
    },
  },
};

export const onPushRequestCreated = documentTrigger(requestKind);
