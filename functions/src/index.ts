// Every deployed function, one line each (their files: functions/).
export { registerDevice } from "./functions/registerDevice";
export { unregisterDevice } from "./functions/unregisterDevice";
export { pruneDevices } from "./functions/pruneDevices";
export { onCommentCreated } from "./functions/onCommentCreated";
export { sendCommentPushSlice } from "./functions/sendCommentPushSlice";
export { sweepDeliveries } from "./functions/sweepDeliveries";
export { sendCommentDigest } from "./functions/sendCommentDigest";
