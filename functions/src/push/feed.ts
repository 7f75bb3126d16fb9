/**
 * The feed beside the send (docs/delivery.md, "The feed"): before a page's messages go out, each of its
 * recipients gets one item in `notifications/{uid}/items/{deliveryId}` (also those without a device, and
 * those whose push is silent), created with its unread increment in one commit, never twice; the page's
 * badges follow from it. The next two pages' items are written while the current page is sent.
 */
import type { ActiveDevice } from "../devices/deviceDoc";
import type { FeedEntry, NotificationStore } from "../notifications/notificationStore";
import { mapAhead, type AudiencePage } from "./audience";
import type { Delivery, RenderOptions } from "./kind";

export type FeedWriter = Pick<NotificationStore, "addItems">;

/** The store's feed writer, when it has one (the engine's tests may give stores without). */
export function feedOf(store: Partial<FeedWriter>): FeedWriter | undefined {
  const { addItems } = store;
  return addItems ? { addItems: addItems.bind(store) } : undefined;
}

/** A page as it is sent: the recipients' badges (their unread counts, this push's item included). */
export type FedPage = { page: AudiencePage; badges?: ReadonlyMap<string, number> | undefined };

const DAY_MS = 86_400_000;
/**
 * Pages whose items are being written at once, ahead of the page being sent: the commits of one page take
 * about as long as sending it, so one ahead left FCM waiting between pages (docs/performance.md).
 */
const FEED_PAGES_AHEAD = 2;

/**
 * The device a recipient's item is rendered for: their most recently seen one (its language), or, with
 * none, a device of no locale (English).
 */
function itemDevices(page: AudiencePage): Map<string, ActiveDevice> {
  const latest = new Map<string, ActiveDevice>();
  for (const device of page.devices) {
    const seen = latest.get(device.uid);
    if (!seen || device.seenAtMs > seen.seenAtMs) latest.set(device.uid, device);
  }
  return latest;
}

/** A stand-in for a recipient with no device: the item is rendered in English. */
function noDevice(uid: string): ActiveDevice {
  return {
    deviceId: "",
    uid,
    token: "",
    platform: "android",
    locale: null,
    updateTime: undefined as never,
    seenAtMs: 0,
    readAtMs: 0,
  };
}

/** The feed entries of a page: what each recipient's push says, as their latest device shows it. */
export function feedEntries<Content>(
  delivery: Delivery<Content>,
  content: Content,
  page: AudiencePage,
  options: RenderOptions,
): FeedEntry[] {
  const devices = itemDevices(page);
  return page.recipients.map((uid) => {
    const message = delivery.kind.render(content, devices.get(uid) ?? noDevice(uid), options);
    return {
      uid,
      kind: delivery.kind.name,
      title: message.notification?.title ?? "",
      body: message.notification?.body ?? null,
      data: message.data,
    };
  });
}

/**
 * `pages` with their recipients' items written and their badges worked out, the items of the next
 * `FEED_PAGES_AHEAD` pages written while the current one is sent; as they are, without a feed.
 */
export function fedPages<Content>(
  delivery: Delivery<Content>,
  content: Content,
  pages: Iterable<AudiencePage> | AsyncIterable<AudiencePage>,
  feed: FeedWriter | undefined,
  {
    ttlDays = 90,
    nowMs,
    options,
  }: { ttlDays?: number | undefined; nowMs: () => number; options: RenderOptions },
): AsyncIterable<FedPage> {
  if (!feed) return asIs(pages);
  return mapAhead(pages, FEED_PAGES_AHEAD, async (page): Promise<FedPage> => {
    if (page.recipients.length === 0) return { page };
    const expireAt = new Date(nowMs() + ttlDays * DAY_MS);
    const created = await feed.addItems(delivery.id, feedEntries(delivery, content, page, options), expireAt);
    const badges = new Map<string, number>();
    for (const uid of page.recipients)
      badges.set(uid, (page.unread?.get(uid) ?? 0) + (created.has(uid) ? 1 : 0));
    return { page, badges };
  });
}

async function* asIs(pages: Iterable<AudiencePage> | AsyncIterable<AudiencePage>): AsyncIterable<FedPage> {
  for await (const page of pages) yield { page };
}
