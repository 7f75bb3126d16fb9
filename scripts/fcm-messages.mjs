// `npm run fcm:messages`: the pushes the local FCM emulator received, as a table.
// Reads FCM_EMULATOR_HOST (default 127.0.0.1:9599) and GCLOUD_PROJECT (default demo-push).
// Tokens are shown by their last 6 characters only: whole tokens do not belong in terminals or logs.
import { cell, tokenTail } from "./terminalTable.mjs";

const host = process.env.FCM_EMULATOR_HOST || "127.0.0.1:9599";
const project = process.env.GCLOUD_PROJECT || "demo-push";
const url = `http://${host}/emulator/v1/projects/${encodeURIComponent(project)}/messages`;

/** Who the message went to, without revealing a token. */
function recipient(message) {
  if (typeof message.token === "string") return tokenTail(message.token);
  if (typeof message.topic === "string") return `topic:${message.topic}`;
  return "condition";
}

/** Title and body as the device would show them: the message's own, else the Android or APNs override. */
function shown(message, field) {
  const alert = message.apns?.payload?.aps?.alert;
  return message.notification?.[field] ?? message.android?.notification?.[field] ?? alert?.[field] ?? "";
}

let answer;
try {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  answer = await response.json();
} catch (error) {
  const refused = error?.cause?.code === "ECONNREFUSED";
  console.error(
    refused
      ? `The FCM emulator is not running at ${host}. Start it with \`npm start\` (or \`node fcm-emulator/lib/server.js\`).`
      : `Could not read the FCM emulator's messages at ${url}: ${error?.message ?? error}`,
  );
  process.exit(1);
}

const { messages, dropped = 0 } = answer;
if (messages.length === 0) {
  console.log(`No pushes received yet for project ${project} at ${host}.`);
} else {
  const columns = [
    ["time (UTC)", 12],
    ["to", 16],
    ["title", 32],
    ["body", 40],
    ["data", 60],
  ];
  const line = (cells) =>
    cells
      .map((text, i) => cell(text, columns[i][1]))
      .join("  ")
      .trimEnd();
  console.log(line(columns.map(([name]) => name)));
  console.log(line(columns.map(([, width]) => "-".repeat(width))));
  for (const { receivedAt, message } of messages) {
    const data = Object.entries(message.data ?? {})
      .map(([key, value]) => `${key}=${value}`)
      .join(" ");
    console.log(
      line([
        receivedAt.slice(11, 23),
        recipient(message),
        shown(message, "title"),
        shown(message, "body"),
        data,
      ]),
    );
  }
  const older = dropped > 0 ? ` (${dropped} older ones no longer kept)` : "";
  console.log(
    `\n${messages.length} push${messages.length === 1 ? "" : "es"} for project ${project}${older}.`,
  );
}
