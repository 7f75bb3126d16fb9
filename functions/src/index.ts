// Every deployed function, one line each.
export { registerDevice } from "./registerDevice";
export { unregisterDevice } from "./unregisterDevice";
export { pruneDevices } from "./pruneDevices";
export { onCommentCreated } from "./onCommentCreated";
export { sendCommentPushSlice } from "./sendCommentPushSlice";
