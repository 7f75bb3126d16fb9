import { coalesceLog } from "./coalesce";
import { pushLog } from "./push";
import { deviceLog } from "./devices";
import { postLog } from "./posts";
import { pruneLog } from "./prune";
import { sweepLog } from "./sweep";

/**
 * The named log events of the project, each with structured fields (`firebase-functions/logger`). Tokens
 * never appear whole: callers pass a device id (a hash) or a token tail.
 */
export const log = { ...deviceLog, ...pruneLog, ...pushLog, ...sweepLog, ...coalesceLog, ...postLog };
