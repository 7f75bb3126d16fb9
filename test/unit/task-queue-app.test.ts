// The task queues in the emulator suite name the emulated service account up front (shared/taskQueueApp.ts):
// firebase-admin otherwise asks for the default credential's account at every enqueue, which in the
// emulator suite waits on a metadata server that is not there (about 2 s an enqueue, 10 enqueues at a
// time: a delivery's slices were enqueued 4 × 2 s late for 40 slices).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { sliceQueue } from "../../functions/src/push/sliceQueue";
import { digestQueue } from "../../functions/src/push/kinds/comment/coalesce/digestQueue";
import { adminApp } from "../../functions/src/shared/admin";
import { EMULATED_SERVICE_ACCOUNT, taskQueueApp } from "../../functions/src/shared/taskQueueApp";

// firebase-admin's own modules, by file (its package exports do not list them).
const adminLib = path.dirname(require.resolve("firebase-admin"));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ApplicationDefaultCredential } = require(path.join(adminLib, "app/credential-internal.js")) as {
  ApplicationDefaultCredential: { prototype: { getServiceAccountEmail(): Promise<string> } };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { EMULATED_SERVICE_ACCOUNT_DEFAULT } = require(
  path.join(adminLib, "functions/functions-api-client-internal.js"),
) as { EMULATED_SERVICE_ACCOUNT_DEFAULT: string };

type Posted = {
  url: string;
  body: { task?: { httpRequest?: { oidcToken?: { serviceAccountEmail?: string } } } };
};

describe("task queues in the emulator suite", () => {
  let server: Server;
  const posted: Posted[] = [];
  const saved = {
    host: process.env.CLOUD_TASKS_EMULATOR_HOST,
    project: process.env.GCLOUD_PROJECT,
  };
  let accountLookup: jest.SpyInstance;

  beforeAll(async () => {
    // A stand-in for the Cloud Tasks emulator: takes every task.
    server = createServer((req, res) => {
      let text = "";
      req.on("data", (chunk: Buffer) => (text += chunk.toString()));
      req.on("end", () => {
        posted.push({ url: req.url ?? "", body: JSON.parse(text || "{}") as Posted["body"] });
        res.writeHead(200, { "content-type": "application/json" });
        res.end("{}");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    process.env.CLOUD_TASKS_EMULATOR_HOST = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.GCLOUD_PROJECT = "demo-task-queues";
  });

  beforeEach(() => {
    posted.length = 0;
    // The default credential's account lookup, which has no metadata server to ask here.
    accountLookup = jest
      .spyOn(ApplicationDefaultCredential.prototype, "getServiceAccountEmail")
      .mockRejectedValue(new Error("no metadata server in a unit test"));
  });

  afterEach(() => accountLookup.mockRestore());

  afterAll(async () => {
    for (const [name, value] of [
      ["CLOUD_TASKS_EMULATOR_HOST", saved.host],
      ["GCLOUD_PROJECT", saved.project],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("names firebase-admin's emulated service account", () => {
    expect(EMULATED_SERVICE_ACCOUNT).toBe(EMULATED_SERVICE_ACCOUNT_DEFAULT);
  });

  it("enqueues a slice without looking up a service account", async () => {
    await expect(
      sliceQueue().enqueue(
        { kind: "comment", eventId: "e1", slice: { index: 0, uids: ["u1"], devices: 1 }, content: {} },
        "slice-task-e1-0",
      ),
    ).resolves.toBe("enqueued");
    expect(accountLookup).not.toHaveBeenCalled();
    expect(posted).toHaveLength(1);
    // The project is the admin app's: GCLOUD_PROJECT here, FIREBASE_CONFIG's under the emulator harness.
    expect(posted[0]?.url).toMatch(
      /^\/projects\/[a-z0-9-]+\/locations\/us-central1\/queues\/sendPushSlice\/tasks$/,
    );
    expect(posted[0]?.body.task?.httpRequest?.oidcToken?.serviceAccountEmail).toBe(EMULATED_SERVICE_ACCOUNT);
  });

  it("enqueues a digest without looking up a service account", async () => {
    await expect(
      digestQueue().enqueue(
        { postId: "p1", windowId: "w1" } as never,
        "digest-task-p1-w1",
        Date.now() + 60_000,
      ),
    ).resolves.toBe("enqueued");
    expect(accountLookup).not.toHaveBeenCalled();
    expect(posted[0]?.body.task?.httpRequest?.oidcToken?.serviceAccountEmail).toBe(EMULATED_SERVICE_ACCOUNT);
  });

  it("enqueues with the default app when deployed", () => {
    expect(taskQueueApp({})).toBe(adminApp());
    expect(taskQueueApp({ CLOUD_TASKS_EMULATOR_HOST: "127.0.0.1:9499" })).not.toBe(adminApp());
    expect(taskQueueApp({ CLOUD_TASKS_EMULATOR_HOST: "127.0.0.1:9499" }).options.serviceAccountId).toBe(
      EMULATED_SERVICE_ACCOUNT,
    );
  });
});
