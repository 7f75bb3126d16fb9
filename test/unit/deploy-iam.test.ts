// `npm run deploy:iam` (scripts/deploy-iam.sh): what a test can reach without a Google Cloud project. Its dry
// run lists exactly the grants docs/deploy.md "IAM" explains, to the account the functions run as, for every
// function of the registry of push kinds (scripts/push-functions.mjs reads it) and sendPushSlice, and those
// functions are deployed as that account.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(__dirname, "../..");
const script = path.join(root, "scripts/deploy-iam.sh");
const PROJECT = "acme-push-prod";

function deployIam(args: string[], env: NodeJS.ProcessEnv = {}) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !["GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT"].includes(key),
    ),
  );
  return spawnSync("bash", [script, ...args], { cwd: root, encoding: "utf8", env: { ...clean, ...env } });
}

const account = /^PUSH_SERVICE_ACCOUNT=(.*)$/m.exec(
  readFileSync(path.join(root, "functions/.env"), "utf8"),
)?.[1];
const email = account?.endsWith("@") ? `${account}${PROJECT}.iam.gserviceaccount.com` : account;
const member = `serviceAccount:${email}`;

type Endpoint = { serviceAccountEmail?: unknown; taskQueueTrigger?: unknown; eventTrigger?: unknown };

/** The endpoints of the registry's functions (functions/src/push/kinds/functions.ts) and of sendPushSlice. */
function pushEndpoints(): Record<string, Endpoint> {
  let endpoints: Record<string, Endpoint> = {};
  jest.isolateModules(() => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const registry = require("../../functions/src/push/kinds/functions") as Record<
      string,
      { __endpoint: Endpoint }
    >;
    const { sendPushSlice } = require("../../functions/src/functions/sendPushSlice") as {
      sendPushSlice: { __endpoint: Endpoint };
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
    endpoints = Object.fromEntries(
      [...Object.entries(registry), ["sendPushSlice", sendPushSlice] as const].map(([name, fn]) => [
        name,
        fn.__endpoint,
      ]),
    );
  });
  return endpoints;
}

// scripts/push-functions.mjs builds functions/ first when functions/lib is missing or older than its source:
// that takes a while on a busy machine.
jest.setTimeout(240_000);

/** The dry run's commands, one `gcloud ...` per line, split into words (the script prints them shell-quoted). */
function dryRunCommands(): string[][] {
  const result = deployIam(["--project", PROJECT, "--dry-run"]);
  expect({ status: result.status, stderr: result.stderr.includes("deploy-iam: done") }).toEqual({
    status: 0,
    stderr: true,
  });
  return result.stdout
    .trim()
    .split("\n")
    .map((line) =>
      (spawnSync("bash", ["-c", `printf '%s\\n' ${line}`], { encoding: "utf8" }).stdout ?? "")
        .trimEnd()
        .split("\n"),
    );
}

function flag(command: string[], name: string): string | undefined {
  const at = command.indexOf(name);
  if (at !== -1) return command[at + 1];
  return command.find((word) => word.startsWith(`${name}=`))?.slice(name.length + 1);
}

describe("npm run deploy:iam", () => {
  it("is valid bash", () => {
    expect(spawnSync("bash", ["-n", script], { encoding: "utf8" }).stderr).toBe("");
  });

  it("lists every function of the registry and sendPushSlice, each as a task-queue function or a trigger", () => {
    const result = spawnSync(process.execPath, [path.join(root, "scripts/push-functions.mjs")], {
      cwd: root,
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    const listed: Record<string, string | undefined> = Object.fromEntries(
      result.stdout
        .trim()
        .split("\n")
        .map((line) => line.split(" ") as [string, string]),
    );
    const expected = Object.fromEntries(
      Object.entries(pushEndpoints()).map(([name, endpoint]) => [
        name,
        endpoint.taskQueueTrigger ? "task" : endpoint.eventTrigger ? "event" : "neither",
      ]),
    );
    expect(listed).toEqual(expected);
    expect(listed).toEqual({
      onCommentCreated: "event",
      sendCommentDigest: "task",
      onFollowerCreated: "event",
      onPushRequestCreated: "event",
      sendPushSlice: "task",
    });
  });

  it("grants exactly the roles the push functions need, to their service account, on what needs them", () => {
    expect(account).toMatch(/@/);
    const commands = dryRunCommands();
    // Only gcloud, only these command groups: nothing else is touched.
    expect(commands.every((command) => command[0] === "gcloud")).toBe(true);
    const grants = commands
      .filter((command) => command.some((word) => /add-(iam|invoker)-policy-binding/.test(word)))
      .map((command) => {
        const verb = command.slice(1).find((word) => word.endsWith("-policy-binding"))!;
        const role = verb === "add-invoker-policy-binding" ? "roles/run.invoker" : flag(command, "--role");
        const group = command.slice(1, command.indexOf(verb)).join(" ");
        const resource = command[command.indexOf(verb) + 1];
        return { on: `${group} ${resource}`, role, member: flag(command, "--member") };
      });
    expect(grants).toEqual(
      expect.arrayContaining([
        { on: `projects ${PROJECT}`, role: "roles/datastore.user", member },
        { on: `projects ${PROJECT}`, role: "roles/firebasecloudmessaging.admin", member },
        { on: `projects ${PROJECT}`, role: "roles/eventarc.eventReceiver", member },
        { on: `iam service-accounts ${email}`, role: "roles/iam.serviceAccountUser", member },
        { on: "tasks queues sendPushSlice", role: "roles/cloudtasks.enqueuer", member },
        { on: "tasks queues sendCommentDigest", role: "roles/cloudtasks.enqueuer", member },
        { on: "functions sendPushSlice", role: "roles/run.invoker", member },
        { on: "functions sendCommentDigest", role: "roles/run.invoker", member },
        { on: "functions onCommentCreated", role: "roles/run.invoker", member },
        { on: "functions onFollowerCreated", role: "roles/run.invoker", member },
        { on: "functions onPushRequestCreated", role: "roles/run.invoker", member },
      ]),
    );
    expect(grants).toHaveLength(11);
    // Every push function is invoked as the account; only the task-queue functions have queues.
    const endpoints = pushEndpoints();
    expect(
      grants
        .filter(({ role }) => role === "roles/run.invoker")
        .map(({ on }) => on)
        .sort(),
    ).toEqual(
      Object.keys(endpoints)
        .map((name) => `functions ${name}`)
        .sort(),
    );
    expect(
      grants
        .filter(({ on }) => on.startsWith("tasks queues "))
        .map(({ on }) => on)
        .sort(),
    ).toEqual(
      Object.entries(endpoints)
        .filter(([, endpoint]) => endpoint.taskQueueTrigger)
        .map(([name]) => `tasks queues ${name}`)
        .sort(),
    );
    // No broad role anywhere.
    expect(grants.filter(({ role }) => /roles\/(owner|editor|viewer|.*\.admin$)/.test(role ?? ""))).toEqual([
      { on: `projects ${PROJECT}`, role: "roles/firebasecloudmessaging.admin", member },
    ]);
    // The account is created when missing, in the project.
    const create = commands.find(
      (command) => command.slice(1, 4).join(" ") === "iam service-accounts create",
    );
    expect(create?.[4]).toBe(email?.split("@")[0]);
    expect(flag(create ?? [], "--project")).toBe(PROJECT);
    // Every resource-scoped command names the region of the functions (us-central1).
    for (const command of commands.filter((each) => each[1] === "tasks" || each[1] === "functions")) {
      expect(flag(command, "--location") ?? flag(command, "--region")).toBe("us-central1");
    }
  });

  it("refuses the emulator's demo project and a missing project", () => {
    const demo = deployIam(["--project", "demo-push", "--dry-run"]);
    expect({ status: demo.status, stdout: demo.stdout }).toEqual({ status: 2, stdout: "" });
    const none = deployIam(["--dry-run"]);
    expect({ status: none.status, stdout: none.stdout }).toEqual({ status: 2, stdout: "" });
    expect(none.stderr).toMatch(/--project/);
  });

  it("is the account every push function (each may enqueue) and sendPushSlice run as", () => {
    const endpoints = pushEndpoints();
    expect(endpoints.sendPushSlice?.taskQueueTrigger).toBeDefined();
    expect(Object.keys(endpoints)).toEqual(
      expect.arrayContaining([
        "onCommentCreated",
        "sendCommentDigest",
        "onFollowerCreated",
        "onPushRequestCreated",
      ]),
    );
    for (const [name, endpoint] of Object.entries(endpoints)) {
      expect({ name, account: String(endpoint.serviceAccountEmail) }).toEqual({
        name,
        account: "params.PUSH_SERVICE_ACCOUNT",
      });
    }
  });

  it("is what index.ts deploys", () => {
    let exported: Record<string, unknown> = {};
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      exported = require("../../functions/src/index") as Record<string, unknown>;
    });
    expect(Object.keys(exported)).toEqual(expect.arrayContaining(Object.keys(pushEndpoints())));
  });
});
