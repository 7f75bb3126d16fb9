/**
 * The FCM emulator's `close` ends every connection, whichever transport it speaks: an HTTP/1.1 event
 * stream (the push inbox's) and an HTTP/2 session left open would otherwise keep it from closing.
 */
import http from "node:http";
import http2 from "node:http2";
import { startFcmEmulator } from "../../fcm-emulator/src/server";

it("closes with an HTTP/1.1 event stream and an HTTP/2 session still open", async () => {
  const emulator = await startFcmEmulator({ host: "127.0.0.1", port: 0 });
  const streamOpen = new Promise<http.IncomingMessage>((resolve, reject) =>
    http.get(`${emulator.url}/emulator/v1/events`, resolve).on("error", reject),
  );
  const events = await streamOpen;
  events.on("error", () => undefined);
  const session = http2.connect(emulator.url);
  session.on("error", () => undefined);
  await new Promise((resolve) => session.once("remoteSettings", resolve));

  const closed = emulator.close().then(() => "closed");
  const late = new Promise((resolve) => setTimeout(() => resolve("still open after 5 s"), 5_000).unref());
  expect(await Promise.race([closed, late])).toBe("closed");
  session.destroy();
});
