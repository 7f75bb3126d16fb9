/**
 * Which devices a delivery may send to, when tokens change hands while it runs (docs/delivery.md, "A token
 * that changes hands"). A token is in at most one `userDevices` list at any instant (devices/userDevices.ts),
 * and a list entry's `lastSeenAt` is when that entry was last written: the entry has been in that list,
 * unchanged, ever since. So a delivery sends to a device only if its entry was written before the
 * delivery's first read of a device list (`listedBefore`): two such entries of one token, read by two
 * pages or two slices, would both have been listed at that instant, which cannot be. Hence each token at
 * most once per delivery, and only under the recipient whose list held it throughout, with nothing kept
 * per device. A device registered, moved or re-registered after the delivery began is left for the next
 * push. Pure; `listedBefore` and the devices' times are Firestore's (whole ms, rounded down).
 */

/** What the rule needs of a device as read from its owner's list. */
export type HeldDevice = { seenAtMs: number; readAtMs: number };

/** The devices whose list entries were written before `listedBefore` (none given: all of them). */
export function heldSince<D extends HeldDevice>(devices: readonly D[], listedBefore?: number): D[] {
  if (listedBefore === undefined) return [...devices];
  return devices.filter((device) => device.seenAtMs < listedBefore);
}

/** The delivery's first read of a device list, from the first page that found devices: its earliest read. */
export function firstReadOf(devices: readonly HeldDevice[]): number | undefined {
  let first: number | undefined;
  for (const { readAtMs } of devices) first = first === undefined ? readAtMs : Math.min(first, readAtMs);
  return first;
}
