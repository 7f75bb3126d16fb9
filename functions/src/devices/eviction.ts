/** A user's device as eviction sees it. */
export type OwnedDevice = { id: string; lastSeenMillis: number };

/**
 * Which of a user's other devices to delete so that, with the one being registered, they keep at most
 * `maxDevices`: the least recently seen first (ties broken by id, so the choice is deterministic).
 */
export function devicesToEvict(others: OwnedDevice[], maxDevices: number): string[] {
  const excess = others.length - (maxDevices - 1);
  if (excess <= 0) return [];
  return [...others]
    .sort((a, b) => a.lastSeenMillis - b.lastSeenMillis || a.id.localeCompare(b.id))
    .slice(0, excess)
    .map((device) => device.id);
}
