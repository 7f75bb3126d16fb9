/**
 * Checks a `messages:send` body the way FCM does, in FCM's order: first the JSON layer (every field known,
 * every value of the right type), then FCM's own rules (one target, data keys, size).
 */
import { type FcmErrorAnswer, type FieldViolation, invalidArgument, invalidJsonPayload } from "./fcmErrors";
import { type FieldType, SEND_REQUEST, TARGET_FIELDS } from "./messageSchema";

export type JsonObject = Record<string, unknown>;

export type SendRequestCheck =
  | { ok: true; message: JsonObject; validateOnly: boolean; token: string | undefined }
  | { ok: false; answer: FcmErrorAnswer };

/** FCM's limit on a message's payload. */
export const MAX_MESSAGE_BYTES = 4096;

const RESERVED_DATA_KEYS = new Set(["from", "notification", "message_type"]);
const RESERVED_DATA_KEY_PREFIXES = ["google", "gcm"];
const TOPIC_NAME = /^[a-zA-Z0-9\-_.~%]+$/;
const DURATION = /^-?\d+(\.\d{1,9})?s$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const INTEGER = /^-?\d+$/;

export function checkSendRequest(body: unknown): SendRequestCheck {
  if (!isObject(body)) {
    const description = `Invalid JSON payload received. Expected an object, got ${shortJson(body)}`;
    return { ok: false, answer: invalidJsonPayload({ field: "", description }) };
  }
  const violation = jsonLayerViolation(body, SEND_REQUEST, "");
  if (violation) {
    return { ok: false, answer: invalidJsonPayload(violation) };
  }
  const message = isObject(body.message) ? body.message : {};

  const targets = TARGET_FIELDS.filter((field) => message[field] !== undefined && message[field] !== null);
  if (targets.length > 1) {
    const description = `Invalid JSON payload received. Oneof field 'target' is already set. Cannot set '${targets[1]}'`;
    return { ok: false, answer: invalidJsonPayload({ field: "message", description }) };
  }
  const ruleViolation = fcmRuleViolation(message);
  if (ruleViolation) {
    return { ok: false, answer: invalidArgument(ruleViolation) };
  }
  const validateOnly = (body.validate_only ?? body.validateOnly) === true;
  const token = typeof message.token === "string" ? message.token : undefined;
  return { ok: true, message, validateOnly, token };
}

/** FCM's own rules, checked once the body fits the proto. */
function fcmRuleViolation(message: JsonObject): FieldViolation | undefined {
  const target = TARGET_FIELDS.find((field) => typeof message[field] === "string" && message[field] !== "");
  if (!target) {
    return { field: "message", description: "Exactly one of token, topic or condition is required" };
  }
  if (target === "topic" && !TOPIC_NAME.test(String(message.topic).replace(/^\/topics\//, ""))) {
    return { field: "message.topic", description: "Invalid topic name" };
  }
  const android = isObject(message.android) ? message.android : {};
  const reservedKey = reservedDataKey(message.data) ?? reservedDataKey(android.data);
  if (reservedKey !== undefined) {
    return {
      field: reservedDataKey(message.data) !== undefined ? "message.data" : "message.android.data",
      description: `Invalid data payload key: "${reservedKey}". The keys "from", "notification", "message_type" and keys starting with "google" or "gcm" are reserved.`,
    };
  }
  if (typeof android.ttl === "string" && android.ttl.startsWith("-")) {
    return { field: "message.android.ttl", description: "TTL must not be negative" };
  }
  const size = payloadBytes(message);
  if (size > MAX_MESSAGE_BYTES) {
    return {
      field: "message",
      description: `Message is too big: ${size} bytes, the limit is ${MAX_MESSAGE_BYTES} bytes`,
    };
  }
  return undefined;
}

function reservedDataKey(data: unknown): string | undefined {
  if (!isObject(data)) return undefined;
  return Object.keys(data).find(
    (key) =>
      RESERVED_DATA_KEYS.has(key) || RESERVED_DATA_KEY_PREFIXES.some((prefix) => key.startsWith(prefix)),
  );
}

/**
 * FCM limits what a device receives, not the request. We approximate that as the message's JSON without
 * its target: a long token or topic name does not count against the payload.
 */
export function payloadBytes(message: JsonObject): number {
  const payload = Object.fromEntries(
    Object.entries(message).filter(([key]) => !(TARGET_FIELDS as readonly string[]).includes(key)),
  );
  return Buffer.byteLength(JSON.stringify(payload), "utf8");
}

/**
 * The first place where `value` does not fit `type`, described as Google's JSON layer describes it.
 * `null` stands for "not set" anywhere, as in proto3 JSON.
 */
function jsonLayerViolation(value: unknown, type: FieldType, path: string): FieldViolation | undefined {
  if (value === null) return undefined;
  switch (type.kind) {
    case "string":
      return typeof value === "string" ? undefined : invalidValue(path, "TYPE_STRING", value);
    case "bool":
      return typeof value === "boolean" ? undefined : invalidValue(path, "TYPE_BOOL", value);
    case "int":
      return Number.isInteger(value) || (typeof value === "string" && INTEGER.test(value))
        ? undefined
        : invalidValue(path, "TYPE_INT32", value);
    case "number":
      return typeof value === "number" ? undefined : invalidValue(path, "TYPE_FLOAT", value);
    case "duration":
      return typeof value === "string" && DURATION.test(value)
        ? undefined
        : invalidValue(path, "type.googleapis.com/google.protobuf.Duration", value);
    case "timestamp":
      return typeof value === "string" && TIMESTAMP.test(value)
        ? undefined
        : invalidValue(path, "type.googleapis.com/google.protobuf.Timestamp", value);
    case "enum":
      return isEnumValue(value, type.values) ? undefined : invalidValue(path, type.typeName, value);
    case "struct":
      return isObject(value)
        ? undefined
        : invalidValue(path, "type.googleapis.com/google.protobuf.Struct", value);
    case "stringMap":
      return stringMapViolation(value, path);
    case "repeated":
      return repeatedViolation(value, type.of, path);
    case "message":
      return messageViolation(value, type, path);
  }
}

function messageViolation(
  value: unknown,
  type: Extract<FieldType, { kind: "message" }>,
  path: string,
): FieldViolation | undefined {
  if (Array.isArray(value)) {
    const parent = path.slice(0, path.lastIndexOf("."));
    const name = path.slice(path.lastIndexOf(".") + 1);
    return jsonPayloadViolation(
      parent,
      `Unknown name "${name}"`,
      "Proto field is not repeating, cannot start list.",
    );
  }
  if (!isObject(value)) return invalidValue(path, type.typeName, value);
  for (const [name, child] of Object.entries(value)) {
    const fieldType = type.fields[snakeCase(name)];
    if (!fieldType) {
      return jsonPayloadViolation(path, `Unknown name "${name}"`, "Cannot find field.");
    }
    const violation = jsonLayerViolation(child, fieldType, path ? `${path}.${name}` : name);
    if (violation) return violation;
  }
  return undefined;
}

function stringMapViolation(value: unknown, path: string): FieldViolation | undefined {
  if (!isObject(value)) return invalidValue(path, "TYPE_MESSAGE", value);
  const entries = Object.values(value);
  const index = entries.findIndex((entry) => typeof entry !== "string");
  return index === -1 ? undefined : invalidValue(`${path}[${index}].value`, "TYPE_STRING", entries[index]);
}

function repeatedViolation(value: unknown, of: FieldType, path: string): FieldViolation | undefined {
  if (!Array.isArray(value)) return jsonLayerViolation(value, of, path);
  for (const [index, item] of value.entries()) {
    const violation = jsonLayerViolation(item, of, `${path}[${index}]`);
    if (violation) return violation;
  }
  return undefined;
}

function isEnumValue(value: unknown, values: readonly string[]): boolean {
  // Google's JSON layer takes enum names in any case (firebase-admin sends android.priority as "high")
  // and also their numbers.
  if (typeof value === "string") return values.includes(value.toUpperCase());
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) < values.length;
}

function invalidValue(path: string, typeName: string, value: unknown): FieldViolation {
  const description = `Invalid value at '${path}' (${typeName}), ${shortJson(value)}`;
  return { field: path, description };
}

function jsonPayloadViolation(path: string, what: string, why: string): FieldViolation {
  const where = path ? ` at '${path}'` : "";
  return { field: path, description: `Invalid JSON payload received. ${what}${where}: ${why}` };
}

function shortJson(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/** "channelId" → "channel_id"; snake_case names pass through unchanged. */
function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
