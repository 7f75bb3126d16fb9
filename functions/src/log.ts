import { logger } from "firebase-functions";

/**
 * The named log events of the project, each with structured fields. Tokens never appear whole:
 * callers pass a device id (a hash) or a token tail.
 */
export const log = {
  deviceRegistered(fields: {
    uid: string;
    deviceId: string;
    tokenTail: string;
    created: boolean;
    previousOwner: string | null;
    evicted: string[];
  }) {
    logger.info("device registered", fields);
  },
  deviceUnregistered(fields: { uid: string; deviceId: string; removed: boolean }) {
    logger.info("device unregistered", fields);
  },
  callableFailed(fields: { callable: string; uid: string | null; error: unknown }) {
    const { error, ...rest } = fields;
    logger.error("callable failed", { ...rest, error: error instanceof Error ? error.stack : String(error) });
  },
};
