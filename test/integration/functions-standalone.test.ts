// What Cloud Build does with a deploy of this project, done here: firebase-tools uploads functions/ minus
// firebase.json's `ignore` (the file list below is firebase-tools' own), the Node.js buildpack runs
// `npm ci --omit=dev` from the uploaded lockfile and then `gcp-build` (or `build` when there is none), and
// the runtime loads the entry point. Every function the project exports must be there.
// It needs no emulator, but the built functions/lib (npm test builds before running jest) and npm's registry
// or cache (`--prefer-offline` installs from ~/.npm when it holds the packages).
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(__dirname, "../..");
const functionsDir = path.join(root, "functions");
const INSTALL_TIMEOUT_MS = 300_000;

type FunctionsConfig = { source: string; ignore?: string[] };

/** The files `firebase deploy` uploads for the functions codebase (prepareFunctionsUpload's own list). */
async function uploadedFiles(): Promise<string[]> {
  const config = (
    JSON.parse(readFileSync(path.join(root, "firebase.json"), "utf8")) as { functions: FunctionsConfig[] }
  ).functions[0]!;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fsAsync = require("firebase-tools/lib/fsAsync") as {
    readdirRecursive(opts: { path: string; ignoreStrings: string[] }): Promise<{ name: string }[]>;
  };
  // prepareFunctionsUpload adds these to the configured list.
  const ignore = [
    ...(config.ignore ?? ["node_modules", ".git"]),
    "firebase-debug.log",
    "firebase-debug.*.log",
    ".runtimeconfig.json",
  ];
  const files = await fsAsync.readdirRecursive({
    path: path.join(root, config.source),
    ignoreStrings: ignore,
  });
  return files.map((file) => path.relative(path.join(root, config.source), file.name)).sort();
}

/** npm and node as a build machine would run them: no npm_* settings inherited from `npm test`. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== "INIT_CWD"),
  );
}

function run(command: string, args: string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync(command, args, {
    cwd,
    env: cleanEnv(),
    encoding: "utf8",
    timeout: INSTALL_TIMEOUT_MS,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The exported names of an entry point and whether each is a deployable function (has an endpoint). */
function loadEntryPoint(dir: string): Record<string, boolean> {
  const script =
    "const m = require(require('node:path').resolve('lib/index.js'));" +
    "console.log(JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v === 'function' && !!v.__endpoint]))))";
  const loaded = run(process.execPath, ["-e", script], dir);
  if (loaded.status !== 0) throw new Error(`loading ${dir}/lib/index.js failed:\n${loaded.output}`);
  return JSON.parse(loaded.output.trim().split("\n").pop()!) as Record<string, boolean>;
}

describe("functions/ as Cloud Build gets it", () => {
  let upload: string;
  let files: string[];

  beforeAll(async () => {
    files = await uploadedFiles();
    upload = path.join(mkdtempSync(path.join(os.tmpdir(), "functions-upload-")), "functions");
    for (const file of files) {
      mkdirSync(path.dirname(path.join(upload, file)), { recursive: true });
      copyFileSync(path.join(functionsDir, file), path.join(upload, file));
    }
  });

  afterAll(() => {
    rmSync(path.dirname(upload), { recursive: true, force: true });
  });

  it("uploads the build, the manifest, the lockfile and the production params, and nothing local", () => {
    expect(files).toEqual(
      expect.arrayContaining(["package.json", "package-lock.json", ".env", "lib/index.js"]),
    );
    expect(files.filter((file) => /(^|\/)(\.env\.local|src\/|node_modules\/|tsconfig)/.test(file))).toEqual(
      [],
    );
  });

  it(
    "installs with npm ci --omit=dev, runs the buildpack's build step, and loads every exported function",
    () => {
      const install = run(
        "npm",
        ["ci", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
        upload,
      );
      expect({ status: install.status, output: install.status === 0 ? "" : install.output }).toEqual({
        status: 0,
        output: "",
      });

      // The Node.js buildpack runs `gcp-build` when package.json has it, else `build` when it has that.
      const scripts =
        (
          JSON.parse(readFileSync(path.join(upload, "package.json"), "utf8")) as {
            scripts?: Record<string, string>;
          }
        ).scripts ?? {};
      const buildStep = "gcp-build" in scripts ? "gcp-build" : "build" in scripts ? "build" : null;
      if (buildStep) {
        const built = run("npm", ["run", buildStep], upload);
        expect({ buildStep, status: built.status, output: built.status === 0 ? "" : built.output }).toEqual({
          buildStep,
          status: 0,
          output: "",
        });
      }

      const uploaded = loadEntryPoint(upload);
      const tested = loadEntryPoint(functionsDir);
      expect(Object.keys(tested).length).toBeGreaterThan(0);
      expect(uploaded).toEqual(tested);
      expect(Object.entries(uploaded).filter(([, deployable]) => !deployable)).toEqual([]);
    },
    INSTALL_TIMEOUT_MS + 60_000,
  );
});
