/** Which FCM the functions send to: the emulator only when FCM_EMULATOR_HOST is set. */
import http2 from "node:http2";
import { emulatorTransportFromEnv, messagingTargetFromEnv } from "../../functions/src/shared/messaging";

describe("messagingTargetFromEnv", () => {
  it("picks real FCM when FCM_EMULATOR_HOST is not set", () => {
    expect(messagingTargetFromEnv({})).toEqual({ kind: "fcm" });
    expect(messagingTargetFromEnv({ FCM_EMULATOR_HOST: "" })).toEqual({ kind: "fcm" });
    expect(
      messagingTargetFromEnv({ FIRESTORE_EMULATOR_HOST: "127.0.0.1:8080", GCLOUD_PROJECT: "demo-push" }),
    ).toEqual({
      kind: "fcm",
    });
  });

  it.each([
    ["127.0.0.1:9599", "127.0.0.1", 9599],
    ["localhost:9600", "localhost", 9600],
    ["[::1]:9599", "::1", 9599],
  ])("picks the emulator at %s", (value, host, port) => {
    expect(messagingTargetFromEnv({ FCM_EMULATOR_HOST: value })).toEqual({ kind: "emulator", host, port });
  });

  it.each(["127.0.0.1", "127.0.0.1:", ":9599", "127.0.0.1:http", "127.0.0.1:70000"])(
    "refuses the malformed FCM_EMULATOR_HOST %s rather than send to real FCM",
    (value) => {
      expect(() => messagingTargetFromEnv({ FCM_EMULATOR_HOST: value })).toThrow(/FCM_EMULATOR_HOST/);
    },
  );
});

describe("emulatorTransportFromEnv", () => {
  it("is production's HTTP/2 transport unless FCM_EMULATOR_TRANSPORT asks for the legacy one", () => {
    expect(emulatorTransportFromEnv({})).toBe("h2");
    expect(emulatorTransportFromEnv({ FCM_EMULATOR_TRANSPORT: "h2" })).toBe("h2");
    expect(emulatorTransportFromEnv({ FCM_EMULATOR_TRANSPORT: "http/1.1" })).toBe("http/1.1");
    expect(() => emulatorTransportFromEnv({ FCM_EMULATOR_TRANSPORT: "http1" })).toThrow(
      /FCM_EMULATOR_TRANSPORT/,
    );
  });
});

describe("getMessagingClient", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  /** A fresh copy of the module (and of firebase-admin's app registry), as a new functions instance sees it. */
  function freshModule(): typeof import("../../functions/src/shared/messaging") {
    let loaded: typeof import("../../functions/src/shared/messaging") | undefined;
    jest.isolateModules(() => {
      loaded = jest.requireActual<typeof import("../../functions/src/shared/messaging")>(
        "../../functions/src/shared/messaging",
      );
    });
    if (!loaded) throw new Error("module did not load");
    return loaded;
  }

  it("hands out the default app's client when FCM_EMULATOR_HOST is not set", () => {
    delete process.env.FCM_EMULATOR_HOST;
    process.env.GCLOUD_PROJECT = "demo-push";
    const { getMessagingClient } = freshModule();

    const connect = http2.connect;
    const client = getMessagingClient();

    expect(client.app.name).toBe("[DEFAULT]");
    // Production mode installs no seam: Node's http2.connect is what it was.
    expect(http2.connect).toBe(connect);
    expect(client.app.options.httpAgent).toBeUndefined();
    expect(getMessagingClient()).toBe(client);
  });

  it("hands out an emulator client, for GCLOUD_PROJECT, when FCM_EMULATOR_HOST is set", () => {
    process.env.FCM_EMULATOR_HOST = "127.0.0.1:9599";
    process.env.GCLOUD_PROJECT = "demo-other";
    const { getMessagingClient } = freshModule();

    const client = getMessagingClient();

    expect(client.app.name).not.toBe("[DEFAULT]");
    expect(client.app.options.projectId).toBe("demo-other");
    expect(client.app.options.httpAgent).toBeDefined();
    expect(getMessagingClient()).toBe(client);
  });

  it("keeps the legacy HTTP/1.1 transport selectable with FCM_EMULATOR_TRANSPORT", () => {
    process.env.FCM_EMULATOR_HOST = "127.0.0.1:9599";
    process.env.FCM_EMULATOR_TRANSPORT = "http/1.1";
    const { getMessagingClient } = freshModule();

    expect(getMessagingClient().app.name).toMatch(/ http\/1\.1$/);
  });
});
