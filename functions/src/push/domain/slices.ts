/**
 * Cutting a large audience into slices, one Cloud Tasks task each (see push/slice.ts).
 *
 * The audience arrives as groups of recipients with the number of devices each group holds (the trigger
 * makes one group per recipient, read from their device list). Groups are packed, in order, into slices of
 * at most `maxDevices` devices and `maxUids` recipients; a group is never split, so a slice may exceed
 * `maxDevices` only when a single group does (a user keeps at most 10 devices, so with the default limits
 * no slice exceeds 500). Groups without devices are kept: their recipients get their feed items from the
 * slice, as a direct delivery gives them theirs.
 */
import { createHash } from "node:crypto";

/** Recipients counted together, and how many devices they have that are not marked rejected. */
export type AudienceGroup = { uids: readonly string[]; devices: number };

/** One task's share of the audience. `index` is its place in the plan, from 0. */
export type AudienceSlice = { index: number; uids: string[]; devices: number };

export type SliceLimits = {
  /** Devices per slice: one `sendEach` batch (≤ 500), so a slice is one FCM round trip plus its retries. */
  maxDevices: number;
  /** Recipients per slice: bounds the task's payload and the slice's device-list reads (`getAll` by key). */
  maxUids: number;
};

export const defaultSliceLimits: SliceLimits = { maxDevices: 500, maxUids: 600 };

/** The groups packed into slices, in order; the slices' devices add up to the groups'. */
export function planSlices(
  groups: readonly AudienceGroup[],
  limits: SliceLimits = defaultSliceLimits,
): AudienceSlice[] {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`slice limit ${name} must be a whole number ≥ 1, got ${value}`);
    }
  }
  const slices: AudienceSlice[] = [];
  let current: AudienceSlice | undefined;
  for (const group of groups) {
    if (group.uids.length === 0) continue;
    const fits =
      current !== undefined &&
      current.devices + group.devices <= limits.maxDevices &&
      current.uids.length + group.uids.length <= limits.maxUids;
    if (!fits) {
      current = { index: slices.length, uids: [], devices: 0 };
      slices.push(current);
    }
    // `current` is set: either it fitted or a new slice was just made.
    const slice = current as AudienceSlice;
    slice.uids.push(...group.uids);
    slice.devices += group.devices;
  }
  return slices;
}

/**
 * The Cloud Tasks task id of slice `index` of event `eventId`: the same for every run of the event, so a
 * re-run's enqueue is refused as a duplicate (ALREADY_EXISTS) instead of sending the slice again. Task ids
 * allow only `[A-Za-z0-9_-]` (≤ 500), and Cloud Tasks spreads load better over ids that do not share a
 * prefix, so the event id is hashed rather than copied: `cp-<32 hex of SHA-256(eventId)>-<index>`.
 */
export function sliceTaskId(eventId: string, index: number): string {
  if (!Number.isInteger(index) || index < 0) {
    throw new RangeError(`slice index must be a whole number ≥ 0, got ${index}`);
  }
  const digest = createHash("sha256").update(eventId, "utf8").digest("hex").slice(0, 32);
  return `cp-${digest}-${index}`;
}
