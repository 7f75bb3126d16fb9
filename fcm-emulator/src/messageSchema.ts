/**
 * The fields of FCM HTTP v1's `Message` (google.firebase.fcm.v1), as its JSON layer knows them. Keys are
 * the proto's original snake_case names; the JSON layer also accepts their lowerCamelCase form, and
 * firebase-admin sends a mix of both (e.g. `android.notification.channel_id` beside `apns.fcmOptions`).
 */

export type FieldType =
  | { kind: "string" }
  | { kind: "bool" }
  | { kind: "int" }
  | { kind: "number" }
  /** google.protobuf.Duration: "3.5s". */
  | { kind: "duration" }
  /** google.protobuf.Timestamp: RFC 3339, e.g. "2014-10-02T15:01:23.045123456Z". */
  | { kind: "timestamp" }
  | { kind: "enum"; typeName: string; values: readonly string[] }
  | { kind: "stringMap" }
  | { kind: "repeated"; of: FieldType }
  /** google.protobuf.Struct: any JSON object, not looked into (apns.payload, webpush.notification). */
  | { kind: "struct" }
  | { kind: "message"; typeName: string; fields: Readonly<Record<string, FieldType>> };

const string: FieldType = { kind: "string" };
const bool: FieldType = { kind: "bool" };
const duration: FieldType = { kind: "duration" };
const stringMap: FieldType = { kind: "stringMap" };
const struct: FieldType = { kind: "struct" };
const strings: FieldType = { kind: "repeated", of: string };

function message(name: string, fields: Record<string, FieldType>): FieldType {
  return { kind: "message", typeName: `type.googleapis.com/google.firebase.fcm.v1.${name}`, fields };
}

function enumOf(name: string, values: string[]): FieldType {
  return { kind: "enum", typeName: `type.googleapis.com/google.firebase.fcm.v1.${name}`, values };
}

const notification = message("Notification", { title: string, body: string, image: string });

const androidNotification = message("AndroidNotification", {
  title: string,
  body: string,
  icon: string,
  color: string,
  sound: string,
  tag: string,
  click_action: string,
  body_loc_key: string,
  body_loc_args: strings,
  title_loc_key: string,
  title_loc_args: strings,
  channel_id: string,
  ticker: string,
  sticky: bool,
  event_time: { kind: "timestamp" },
  local_only: bool,
  notification_priority: enumOf("AndroidNotification.NotificationPriority", [
    "PRIORITY_UNSPECIFIED",
    "PRIORITY_MIN",
    "PRIORITY_LOW",
    "PRIORITY_DEFAULT",
    "PRIORITY_HIGH",
    "PRIORITY_MAX",
  ]),
  default_sound: bool,
  default_vibrate_timings: bool,
  default_light_settings: bool,
  vibrate_timings: { kind: "repeated", of: duration },
  visibility: enumOf("AndroidNotification.Visibility", [
    "VISIBILITY_UNSPECIFIED",
    "PRIVATE",
    "PUBLIC",
    "SECRET",
  ]),
  notification_count: { kind: "int" },
  light_settings: message("LightSettings", {
    color: {
      kind: "message",
      typeName: "type.googleapis.com/google.type.Color",
      fields: {
        red: { kind: "number" },
        green: { kind: "number" },
        blue: { kind: "number" },
        alpha: { kind: "number" },
      },
    },
    light_on_duration: duration,
    light_off_duration: duration,
  }),
  image: string,
  bypass_proxy_notification: bool,
  proxy: enumOf("AndroidNotification.Proxy", ["PROXY_UNSPECIFIED", "ALLOW", "DENY", "IF_PRIORITY_LOWERED"]),
});

const android = message("AndroidConfig", {
  collapse_key: string,
  priority: enumOf("AndroidMessagePriority", ["NORMAL", "HIGH"]),
  ttl: duration,
  restricted_package_name: string,
  data: stringMap,
  notification: androidNotification,
  fcm_options: message("AndroidFcmOptions", { analytics_label: string }),
  direct_boot_ok: bool,
  bandwidth_constrained_ok: bool,
  restricted_satellite_ok: bool,
});

const webpush = message("WebpushConfig", {
  headers: stringMap,
  data: stringMap,
  notification: struct,
  fcm_options: message("WebpushFcmOptions", { link: string, analytics_label: string }),
});

const apns = message("ApnsConfig", {
  headers: stringMap,
  payload: struct,
  fcm_options: message("ApnsFcmOptions", { analytics_label: string, image: string }),
  live_activity_token: string,
});

export const MESSAGE: FieldType = message("Message", {
  name: string,
  data: stringMap,
  notification,
  android,
  webpush,
  apns,
  fcm_options: message("FcmOptions", { analytics_label: string }),
  token: string,
  topic: string,
  condition: string,
});

/** The body of `messages:send` (SendMessageRequest). */
export const SEND_REQUEST: FieldType = {
  kind: "message",
  typeName: "type.googleapis.com/google.firebase.fcm.v1.SendMessageRequest",
  fields: { validate_only: bool, message: MESSAGE },
};

/** The oneof `target` of `Message`. */
export const TARGET_FIELDS = ["token", "topic", "condition"] as const;
