// Deploy uploads functions/ alone and Cloud Build installs from functions/package-lock.json, so that lockfile
// must hold exactly the versions the tests run with: the root lock's, for functions' production closure
// (scripts/functions-lockfile.mjs writes it; `npm run lock:functions`).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(__dirname, "../..");

type LockEntry = { version?: string; integrity?: string; dev?: boolean };
type Lock = { lockfileVersion: number; packages: Record<string, LockEntry & Record<string, unknown>> };
type PackageJson = { name: string; dependencies?: Record<string, string>; engines?: { node?: string } };

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(path.join(root, file), "utf8")) as T;
}

const rootLock = readJson<Lock>("package-lock.json");
const functionsLock = readJson<Lock>("functions/package-lock.json");
const functionsPackage = readJson<PackageJson>("functions/package.json");

/** The root lock's entry for a location of the functions lock (a workspace's own nested copy first). */
function rootEntry(location: string): LockEntry | undefined {
  return rootLock.packages[`functions/${location}`] ?? rootLock.packages[location];
}

describe("functions/package-lock.json", () => {
  it("is a lockfile of functions/package.json as it is now", () => {
    expect(functionsLock.lockfileVersion).toBe(rootLock.lockfileVersion);
    const self = functionsLock.packages[""] as { name?: string; dependencies?: unknown; engines?: unknown };
    expect({ name: self.name, dependencies: self.dependencies, engines: self.engines }).toEqual({
      name: functionsPackage.name,
      dependencies: functionsPackage.dependencies,
      engines: functionsPackage.engines,
    });
  });

  it("locks every package at the version and integrity of the root lock", () => {
    const mismatches = Object.entries(functionsLock.packages)
      .filter(([location]) => location !== "")
      .flatMap(([location, entry]) => {
        const fromRoot = rootEntry(location);
        const same = fromRoot?.version === entry.version && fromRoot?.integrity === entry.integrity;
        return same
          ? []
          : [`${location}: ${entry.version} here, ${fromRoot?.version ?? "absent"} in the root lock`];
      });
    expect(mismatches).toEqual([]);
  });

  it("holds each of functions' dependencies at the version the tests load", () => {
    for (const name of Object.keys(functionsPackage.dependencies ?? {})) {
      // Where Node finds it from functions/: a copy of the workspace's own, else the hoisted one.
      const installedAt = [`functions/node_modules/${name}`, `node_modules/${name}`].find((location) =>
        existsSync(path.join(root, location, "package.json")),
      );
      const installed = installedAt && readJson<{ version: string }>(`${installedAt}/package.json`).version;
      expect({ name, locked: functionsLock.packages[`node_modules/${name}`]?.version }).toEqual({
        name,
        locked: installed,
      });
    }
  });

  it("is what scripts/functions-lockfile.mjs derives from the root lock, byte for byte", () => {
    const check = spawnSync(
      process.execPath,
      [path.join(root, "scripts/functions-lockfile.mjs"), "--check"],
      {
        cwd: root,
        encoding: "utf8",
      },
    );
    expect({ status: check.status, stderr: check.stderr.replace(/^npm warn.*\n/gm, "") }).toEqual({
      status: 0,
      stderr: "",
    });
  });
});
