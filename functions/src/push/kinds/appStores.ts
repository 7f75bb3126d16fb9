/** Every store the kinds read beside the engine's, assembled in one place (push/defaults.ts). */
import type { CommentPushStores } from "./comment/stores";

export type AppStores = CommentPushStores;
