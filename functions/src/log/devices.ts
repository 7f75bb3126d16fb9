import { logger } from "firebase-functions/logger";
import { errorText } from "../shared/errorText";

/** Log events of the device callables. */
export const deviceLog = {
  deviceRegistered(fields: {
    uid: string;
    deviceId: string;
    tokenTail: string;
    created: boolean;
    evicted: string[];
    attempts: number;
  }) {
    logger.info("device registered", fields);
  },
  deviceUnregistered(fields: { uid: string; deviceId: string; removed: boolean }) {
    logger.info("device unregistered", fields);
  },
  preferencesSet(fields: { uid: string; changed: string[] }) {
    logger.info("notification preferences set", fields);
  },
  notificationsRead(fields: { uid: string; changed: number; unread: number; all: boolean }) {
    logger.info("notifications read", fields);
  },
  badgeUpdatesSent(fields: {
    uid: string;
    unread: number;
    devices: number;
    sent: number;
    failed: number;
    rejected: number;
  }) {
    logger.info("badge updates sent", fields);
  },
  badgeUpdatesFailed(fields: { uid: string; error: unknown }) {
    const { error, ...rest } = fields;
    logger.warn("badge updates failed", { ...rest, error: errorText(error) });
  },
  callableFailed(fields: { callable: string; uid: string | null; error: unknown }) {
    const { error, ...rest } = fields;
    logger.error("callable failed", { ...rest, error: errorText(error, { stack: true }) });
  },
};
