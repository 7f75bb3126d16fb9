// Every deployed function, one line each (their files: functions/; the push kinds' own: push/kinds/functions.ts).
export { registerDevice } from "./functions/registerDevice";
export { unregisterDevice } from "./functions/unregisterDevice";
export { setNotificationPreferences } from "./functions/setNotificationPreferences";
export { markNotificationsRead } from "./functions/markNotificationsRead";
export { pruneDevices } from "./functions/pruneDevices";
export * from "./push/kinds/functions";
export { sendPushSlice } from "./functions/sendPushSlice";
export { sweepDeliveries } from "./functions/sweepDeliveries";
