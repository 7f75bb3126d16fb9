// `devices/{deviceId}`: the id is the lowercase hex SHA-256 of the FCM token (docs/api.md, `registerDevice`),
// as functions/src computes it. The scripts' one copy of that rule, for seeding and reading devices by token.
import { createHash } from "node:crypto";

export const deviceIdOf = (token) => createHash("sha256").update(token, "utf8").digest("hex");
