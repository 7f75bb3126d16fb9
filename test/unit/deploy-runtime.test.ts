// The deploy runtime (docs/deploy.md "Runtime"): firebase.json names it, and firebase-tools refuses to deploy a
// decommissioned one and warns from 90 days before deprecation. This test reads firebase-tools' own runtime
// table, so the next retirement fails CI long before a deploy breaks, and checks that everything else that
// names a Node major (both `engines`, @types/node, the `node` devDependency that runs the tests and the
// Functions emulator) names the same one, and that this very test runs on it.
import { readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(__dirname, "../..");
const DAY_MS = 24 * 60 * 60 * 1000;
/** firebase-tools' guardVersionSupport warns from 90 days before a runtime's deprecation date. */
const WARNING_DAYS = 90;

type RuntimeEntry = { friendly: string; status: string; deprecationDate: string; decommissionDate: string };
type PackageJson = {
  engines?: { node?: string };
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(path.join(root, file), "utf8")) as T;
}

// firebase-tools has no `exports` map: its runtime table is the module deploy itself uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { RUNTIMES } = require("firebase-tools/lib/deploy/functions/runtimes/supported") as {
  RUNTIMES: Record<string, RuntimeEntry>;
};

const firebaseJson = readJson<{ functions: { source: string; runtime?: string }[] }>("firebase.json");
const codebases = firebaseJson.functions;
const runtime = codebases[0]?.runtime ?? "";
const major = /^nodejs(\d+)$/.exec(runtime)?.[1] ?? "";

describe("deploy runtime", () => {
  it("is one Node.js runtime, named in firebase.json for every codebase", () => {
    expect(codebases.length).toBeGreaterThan(0);
    expect(runtime).toMatch(/^nodejs\d+$/);
    expect(codebases.map((codebase) => codebase.runtime)).toEqual(codebases.map(() => runtime));
  });

  it("is known to firebase-tools and neither deprecated nor within 90 days of it", () => {
    const entry = RUNTIMES[runtime];
    expect(entry).toBeDefined();
    const now = Date.now();
    const deprecation = Date.parse(entry!.deprecationDate);
    const decommission = Date.parse(entry!.decommissionDate);
    expect({ runtime, status: entry!.status }).toEqual({ runtime, status: "GA" });
    const daysLeft = Math.floor((deprecation - now) / DAY_MS);
    // When this fails: pick the newest GA nodejs runtime in the table, see docs/deploy.md "Runtime".
    expect({
      runtime,
      deprecationDate: entry!.deprecationDate,
      enoughDaysLeft: daysLeft > WARNING_DAYS,
    }).toEqual({ runtime, deprecationDate: entry!.deprecationDate, enoughDaysLeft: true });
    expect(decommission).toBeGreaterThan(now + WARNING_DAYS * DAY_MS);
  });

  it("passes firebase-tools' own deploy guard today and in 90 days, without a warning", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const supported = require("firebase-tools/lib/deploy/functions/runtimes/supported") as {
      guardVersionSupport(runtime: string, now?: Date): void;
    };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const utils = require("firebase-tools/lib/utils") as { logLabeledWarning: (...args: unknown[]) => void };
    const warn = jest.spyOn(utils, "logLabeledWarning").mockImplementation(() => undefined);
    try {
      for (const days of [0, WARNING_DAYS]) {
        expect(() =>
          supported.guardVersionSupport(runtime, new Date(Date.now() + days * DAY_MS)),
        ).not.toThrow();
      }
      expect(warn.mock.calls).toEqual([]);
    } finally {
      warn.mockRestore();
    }
  });

  it("is the Node major of both engines, @types/node and the node that runs npm scripts", () => {
    const rootPackage = readJson<PackageJson>("package.json");
    const functionsPackage = readJson<PackageJson>("functions/package.json");
    expect({
      rootEngines: rootPackage.engines?.node,
      functionsEngines: functionsPackage.engines?.node,
      typesNode: rootPackage.devDependencies?.["@types/node"]?.split(".")[0],
      // One official Node binary package per platform (npm installs only the one whose os/cpu match).
      nodeBinaries: [
        ...new Set(
          Object.entries(rootPackage.optionalDependencies ?? {})
            .filter(([name]) => /^node-(bin-)?(darwin|linux|win)-/.test(name))
            .map(([, version]) => version.split(".")[0]),
        ),
      ],
    }).toEqual({ rootEngines: major, functionsEngines: major, typesNode: major, nodeBinaries: [major] });
  });

  it("is the Node this test runs on (npm scripts put the Node binary package first on PATH)", () => {
    expect(process.versions.node.split(".")[0]).toBe(major);
  });
});
