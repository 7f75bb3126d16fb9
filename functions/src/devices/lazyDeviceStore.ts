import { lazyFirestore } from "../shared/lazyFirestore";
import type { DevicePruneStore } from "./devicePruneStore";
import type { DeviceStore } from "./deviceStore";

/** The callables' store, loaded on first use: function files import only this module. */
export async function deviceStore(): Promise<DeviceStore> {
  const [{ DeviceStore }, db] = await Promise.all([import("./deviceStore"), lazyFirestore()]);
  return new DeviceStore(db);
}

/** The prune's store, loaded on first use. */
export async function devicePruneStore(): Promise<DevicePruneStore> {
  const [{ DevicePruneStore }, db] = await Promise.all([import("./devicePruneStore"), lazyFirestore()]);
  return new DevicePruneStore(db);
}
