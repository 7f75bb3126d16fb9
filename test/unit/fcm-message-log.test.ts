/** The FCM emulator's message log: arrival order, per project, bounded. */
import { type LoggedMessage, MessageLog } from "../../fcm-emulator/src/messageLog";

function entry(n: number): LoggedMessage {
  return {
    name: `projects/p/messages/${n}`,
    receivedAt: new Date(n).toISOString(),
    message: { token: `t${n}` },
    protocol: "h2",
  };
}

describe("MessageLog", () => {
  it("lists messages in arrival order, per project", () => {
    const log = new MessageLog();
    log.append("p", entry(1));
    log.append("other", entry(2));
    log.append("p", entry(3));

    expect(log.list("p")).toEqual({ messages: [entry(1), entry(3)], dropped: 0 });
    expect(log.list("other").messages).toEqual([entry(2)]);
    expect(log.list("none")).toEqual({ messages: [], dropped: 0 });
  });

  it("keeps the newest messages up to its capacity and counts the rest", () => {
    const log = new MessageLog(3);
    for (let n = 1; n <= 8; n += 1) log.append("p", entry(n));

    expect(log.list("p")).toEqual({ messages: [entry(6), entry(7), entry(8)], dropped: 5 });
  });

  it("clears one project", () => {
    const log = new MessageLog(2);
    for (let n = 1; n <= 3; n += 1) log.append("p", entry(n));
    log.append("other", entry(4));

    log.clear("p");

    expect(log.list("p")).toEqual({ messages: [], dropped: 0 });
    expect(log.list("other").messages).toHaveLength(1);
  });
});
