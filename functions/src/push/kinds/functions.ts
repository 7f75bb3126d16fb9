// The registry of push kinds, one line each (docs/kinds.md, "Add your own push kind"): every function that
// delivers a kind, exported as deployed (index.ts). registry.ts reads the kinds from here.
export { onCommentCreated } from "../../functions/onCommentCreated";
export { sendCommentDigest } from "../../functions/sendCommentDigest";
export { onFollowerCreated } from "./follow/follow";
export { onPushRequestCreated } from "./request/request";
