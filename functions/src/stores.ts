import type { DeviceStore } from "./devices/deviceStore";

/**
 * The Firestore-backed stores, loaded on first use: function files import only this module, so
 * firebase-admin's Firestore client stays out of every cold start until a handler needs it.
 */
export async function deviceStore(): Promise<DeviceStore> {
  const [{ DeviceStore }, { firestore }] = await Promise.all([
    import("./devices/deviceStore"),
    import("./admin"),
  ]);
  return new DeviceStore(firestore());
}
