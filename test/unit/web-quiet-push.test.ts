// clients/web/quietPush.ts: the service worker and the page show a push sent during quiet hours silently,
// whichever of the backend's two marks (webpush.notification.silent, data.quiet) reached the browser.
import { isQuietPush, shownQuietly } from "../../clients/web/quietPush";
import { platformBlocks, type PushMessage } from "../../functions/src/push/domain/message";
import { silenced } from "../../functions/src/push/domain/quiet";

describe("a quiet push on the Web", () => {
  const message: PushMessage = {
    token: "t",
    notification: { title: "Mina commented", body: "Hi" },
    data: { type: "comment", postId: "p" },
    ...platformBlocks({ channelId: "comments", tag: "p", threadId: "p", collapseId: "c" }, 60, 0),
  };

  it("is told apart by data.quiet, as the server silences it", () => {
    expect(isQuietPush(silenced(message).data)).toBe(true);
    expect(isQuietPush(message.data)).toBe(false);
    expect(isQuietPush(undefined)).toBe(false);
    expect(isQuietPush({ quiet: "false" })).toBe(false);
  });

  it("is shown silent, without vibrating, by either mark", () => {
    const options = { title: "Mina commented", body: "Hi", vibrate: [100, 50], tag: "p" };
    const quiet = silenced(message);
    expect(shownQuietly({ ...options, ...quiet.webpush.notification }, {})).toEqual({
      title: "Mina commented",
      body: "Hi",
      tag: "p",
      silent: true,
    });
    expect(shownQuietly(options, quiet.data)).toEqual({
      title: "Mina commented",
      body: "Hi",
      tag: "p",
      silent: true,
    });
  });

  it("leaves any other push as it came", () => {
    const options = { body: "Hi", vibrate: [100], silent: false };
    expect(shownQuietly(options, message.data)).toBe(options);
    expect(shownQuietly(options, undefined)).toBe(options);
  });
});
