import { logger } from "firebase-functions/logger";

/** Log events of the sweeper and of the credential breaker (docs/delivery.md). */
export const sweepLog = {
  /** One line per sweep: error-level when it ended anything (an alert can be set on it). */
  deliveriesSwept(fields: {
    left: number;
    swept: string[];
    deliveriesEnded: string[];
    errors: { path: string; error: string }[];
  }) {
    const line = `sweepDeliveries: ${fields.swept.length} deliveries or slices still sending past their deadline ended as failed, ${fields.left} left alone (within their time), ${fields.errors.length} could not be ended`;
    if (fields.swept.length > 0 || fields.errors.length > 0) logger.error(line, fields);
    else logger.info(line, fields);
  },
  credentialBreakerOpen(fields: {
    eventId: string;
    mismatches: number;
    answers: number;
    windowStart: string;
  }) {
    logger.error(
      "comment push: the credential breaker is open (mismatched-credential answers dominate across deliveries, a sign of a broken server configuration); no token is marked rejected for a sender-id mismatch",
      fields,
    );
  },
  credentialBreakerFailed(fields: { eventId: string; error: string }) {
    logger.error(
      "comment push: the credential breaker could not be read or counted; sender-id mismatches are not marked in this send",
      fields,
    );
  },
  deviceDocSkipped(fields: { deviceId: string; problems: string }) {
    logger.error(
      "comment push: a device doc does not parse; skipped, the rest of the delivery goes on",
      fields,
    );
  },
};
