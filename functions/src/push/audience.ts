/**
 * An audience as a stream (docs/delivery.md, "Reading the audience"): recipients a page at a time, each
 * page's settings (`notifications/{uid}`: who turned the kind off, who has quiet hours) and device lists
 * read together by key, the next page read while the current one is being
 * sent. Only what sending needs is kept: uids and the devices' tokens, never snapshots, so a fan-out's
 * memory depends on the page size, not on the audience. A kind's audience (kinds/) chooses the candidates;
 * `recipientsPage` makes them a page.
 */
import type { ActiveDevice } from "../devices/deviceDoc";
import { chunk } from "../shared/batches";
import type { QuietHours } from "../notifications/quietHours";
import type { PushStores } from "./deps";
import type { PreferenceKey } from "./kind";

/**
 * One page of the audience: who is notified, their devices that are not marked rejected, and the quiet
 * hours of those who have some (whether a message is silent is decided when it is sent: send.ts).
 */
export type AudiencePage = {
  recipients: readonly string[];
  devices: readonly ActiveDevice[];
  quietHours?: ReadonlyMap<string, QuietHours> | undefined;
  /** Their unread counts as read with their settings (absent: 0), for the badges. */
  unread?: ReadonlyMap<string, number> | undefined;
};

/** Subscribers per page: ~5 devices each makes a page a few `sendEach` batches of 500. */
export const AUDIENCE_PAGE_SIZE = 500;
/**
 * The first page is smaller: its devices are read before the first push leaves (a batch's worth at 10
 * devices a recipient), and the rest are read while it is being sent. The pages after it double up to
 * `AUDIENCE_PAGE_SIZE`, so each is read (and its feed items written) while the smaller one before is sent,
 * rather than FCM waiting for a page ten times the one it just had.
 */
export const FIRST_AUDIENCE_PAGE_SIZE = 50;

/** Given recipients, a page at a time: those who did not turn `preference` off, and their devices. */
export async function* audienceOf(
  stores: Pick<PushStores, "devices" | "notifications">,
  recipients: readonly string[],
  preference: PreferenceKey,
  pageSize = AUDIENCE_PAGE_SIZE,
): AsyncGenerator<AudiencePage> {
  for (const uids of chunk([...new Set(recipients)], pageSize))
    yield await recipientsPage(stores, uids, preference);
}

/**
 * The candidates of one page less those who turned `preference` off, their devices, and their quiet hours:
 * settings and device lists read at once, by key.
 */
export async function recipientsPage(
  stores: Pick<PushStores, "notifications" | "devices">,
  candidates: readonly string[],
  preference: PreferenceKey,
): Promise<AudiencePage> {
  const [settings, devices] = await Promise.all([
    stores.notifications.audienceSettings(candidates, preference),
    stores.devices.activeDevicesOf(candidates),
  ]);
  const { off } = settings;
  const quietHours = settings.quietHours.size > 0 ? settings.quietHours : undefined;
  const unread = settings.unread.size > 0 ? settings.unread : undefined;
  if (off.size === 0) return { recipients: candidates, devices, quietHours, unread };
  return {
    recipients: candidates.filter((uid) => !off.has(uid)),
    devices: devices.filter((device) => !off.has(device.uid)),
    quietHours,
    unread,
  };
}

/**
 * `source` read one item ahead: the first item is asked for at once (not when first iterated), and each next
 * one as soon as the current one is handed over, so reading overlaps whatever the consumer does meanwhile
 * (planning, sending the page before). An error of a read ahead surfaces where the consumer reaches it.
 */
export function readAhead<T>(source: AsyncIterable<T>): AsyncIterable<T> {
  const iterator = source[Symbol.asyncIterator]();
  const ask = () => {
    const next = iterator.next();
    // Not unhandled: it is awaited when the consumer gets there.
    next.catch(() => undefined);
    return next;
  };
  let next = ask();
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          const result = await next;
          if (result.done) return;
          next = ask();
          yield result.value;
        }
      } finally {
        await iterator.return?.();
      }
    },
  };
}

/**
 * `work` done on each item of `source`, up to `depth` items at once, handed over in order: the items are taken
 * one after another as room frees up, so their work overlaps whatever the consumer does meanwhile (sending the
 * page before). An error surfaces where the consumer reaches its item; when the consumer stops early, the work
 * started is waited for (none is left running) and the source is closed.
 */
export function mapAhead<T, R>(
  source: Iterable<T> | AsyncIterable<T>,
  depth: number,
  work: (item: T) => Promise<R>,
): AsyncIterable<R> {
  return {
    async *[Symbol.asyncIterator]() {
      const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : inTurn(source);
      // The source is read one item at a time, in order, whatever the work does.
      let reading: Promise<unknown> = Promise.resolve();
      const start = (): Promise<IteratorResult<R, undefined>> => {
        const next = reading.then(() => iterator.next());
        reading = next.catch(() => undefined);
        const done = next.then(async (item): Promise<IteratorResult<R, undefined>> =>
          item.done ? { done: true, value: undefined } : { done: false, value: await work(item.value) },
        );
        // Not unhandled: it is awaited when the consumer gets there.
        done.catch(() => undefined);
        return done;
      };
      const ahead = Array.from({ length: depth }, start);
      try {
        for (;;) {
          const result = await ahead.shift()!;
          if (result.done) return;
          ahead.push(start());
          yield result.value;
        }
      } finally {
        await Promise.allSettled(ahead);
        await iterator.return?.();
      }
    },
  };
}

/** The items of `items`, each once the one before has been taken. */
async function* inTurn<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) yield await Promise.resolve(item);
}
