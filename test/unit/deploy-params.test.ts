// A deploy without a terminal (CI, a script) must find every param's value in a committed file: firebase-tools
// only prompts for defaults interactively. This test finds the declared params two ways, so a new one is
// caught wherever it is declared: the registry firebase-functions fills while the functions' entry point loads
// (what firebase-tools' discovery reads), and a scan of functions/src for define*("NAME") calls. Then it
// resolves them with firebase-tools' own dotenv loader and param resolver, non-interactively, for a production
// project, and checks each value against its type.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(__dirname, "../..");
const functionsDir = path.join(root, "functions");
const PRODUCTION_PROJECT = "your-production-project";

type ParamSpec = {
  name: string;
  type: "string" | "int" | "float" | "boolean" | "list" | "secret";
  input?: { text?: { validationRegex?: string } };
};

/** Param specs the functions declare while their entry point loads (the manifest's `params`). */
function manifestParams(): ParamSpec[] {
  let specs: ParamSpec[] = [];
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("../../functions/src/index");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const params = require("firebase-functions/params") as { declaredParams: { toSpec(): ParamSpec }[] };
    specs = params.declaredParams.map((param) => param.toSpec());
  });
  return specs;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

/** Every define*("NAME") in functions/src, declared at module scope or not. */
function scannedParamNames(): string[] {
  const call = /\bdefine(?:Int|Float|String|Boolean|List|Secret|JsonSecret)\s*\(\s*["'`]([A-Z0-9_]+)["'`]/g;
  return sourceFiles(path.join(functionsDir, "src")).flatMap((file) =>
    [...readFileSync(file, "utf8").matchAll(call)].map((match) => match[1]!),
  );
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const env = require("firebase-tools/lib/functions/env") as {
  loadUserEnvs(opts: {
    functionsSource: string;
    projectDir: string;
    projectId: string;
    isEmulator?: boolean;
  }): Record<string, string>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const deployParams = require("firebase-tools/lib/deploy/functions/params") as {
  resolveParams(opts: {
    params: ParamSpec[];
    firebaseConfig: { projectId: string };
    userEnvs: Record<string, string>;
    codebase: string;
    nonInteractive: boolean;
  }): Promise<{ paramValues: Record<string, unknown> }>;
};

const declared = manifestParams();
const deployEnvs = env.loadUserEnvs({
  functionsSource: functionsDir,
  projectDir: root,
  projectId: PRODUCTION_PROJECT,
});
const emulatorEnvs = env.loadUserEnvs({
  functionsSource: functionsDir,
  projectDir: root,
  projectId: "demo-push",
  isEmulator: true,
});

describe("functions/.env (the params' production values)", () => {
  it("finds the declared params, and the scan and the manifest agree", () => {
    // TOKEN_STALE_DAYS is public (docs/api.md, "Scheduled prune"); if it is not found, the discovery above is broken.
    expect(declared.map((param) => param.name)).toContain("TOKEN_STALE_DAYS");
    expect([...new Set(scannedParamNames())].sort()).toEqual(declared.map((param) => param.name).sort());
  });

  it("holds a value for every declared param that is not a secret, and no secret", () => {
    const missing = declared
      .filter((param) => param.type !== "secret" && !(param.name in deployEnvs))
      .map((param) => param.name);
    const secretsInDotenv = declared
      .filter((param) => param.type === "secret" && param.name in deployEnvs)
      .map((param) => param.name);
    expect({ missing, secretsInDotenv }).toEqual({ missing: [], secretsInDotenv: [] });
  });

  it("lets firebase-tools resolve every param without a terminal", async () => {
    const resolved = await deployParams.resolveParams({
      params: declared.filter((param) => param.type !== "secret"),
      firebaseConfig: { projectId: PRODUCTION_PROJECT },
      userEnvs: deployEnvs,
      codebase: "default",
      nonInteractive: true,
    });
    for (const param of declared.filter((each) => each.type !== "secret")) {
      expect(resolved.paramValues).toHaveProperty([param.name]);
    }
  });

  it("gives each param a value of its type that passes its validation", () => {
    const problems = declared.flatMap((param) => {
      const value = deployEnvs[param.name];
      if (value === undefined || param.type === "secret") return [];
      const ok =
        param.type === "int"
          ? /^-?\d+$/.test(value)
          : param.type === "float"
            ? Number.isFinite(Number(value))
            : param.type === "boolean"
              ? value === "true" || value === "false"
              : param.input?.text?.validationRegex
                ? new RegExp(param.input.text.validationRegex).test(value)
                : true;
      return ok ? [] : [`${param.name}=${value} is not a valid ${param.type}`];
    });
    expect(problems).toEqual([]);
  });

  it("holds only declared params (a typo would silently leave a param at its default)", () => {
    const names = new Set(declared.map((param) => param.name));
    expect(Object.keys(deployEnvs).filter((name) => !names.has(name))).toEqual([]);
  });

  it("keeps the emulator's overrides out of a deploy: .env.local is read by the emulator only", () => {
    expect(deployEnvs).not.toHaveProperty("FCM_EMULATOR_HOST");
    expect(emulatorEnvs).toHaveProperty("FCM_EMULATOR_HOST");
    expect({ deploy: deployEnvs.ENFORCE_APP_CHECK, emulator: emulatorEnvs.ENFORCE_APP_CHECK }).toEqual({
      deploy: "true",
      emulator: "false",
    });
    const firebaseJson = JSON.parse(readFileSync(path.join(root, "firebase.json"), "utf8")) as {
      functions: { ignore?: string[] }[];
    };
    // Not even uploaded (test/integration/functions-standalone.test.ts copies what deploy uploads).
    expect(firebaseJson.functions[0]?.ignore).toContain("*.local");
  });
});

describe("the emulator runs production's fan-out settings", () => {
  it("functions/.env.local does not move the task threshold (a 3,000-device post goes through tasks)", () => {
    const local = readFileSync(path.join(root, "functions/.env.local"), "utf8");
    expect(local).not.toMatch(/^\s*PUSH_TASKS_THRESHOLD\s*=/m);
    const production = readFileSync(path.join(root, "functions/.env"), "utf8");
    expect(/^\s*PUSH_TASKS_THRESHOLD\s*=\s*(\d+)\s*$/m.exec(production)?.[1]).toBe("2000");
  });
});
