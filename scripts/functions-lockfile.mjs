#!/usr/bin/env node
// Writes functions/package-lock.json: the lockfile Cloud Build installs from, since deploy uploads functions/
// alone. The root workspace install does not write one, and a separate `npm install` in functions/ would
// resolve transitive ranges afresh (whatever floats that day). So this takes exactly the packages the tests
// run with: it walks functions' production dependencies through the root package-lock.json the way Node
// resolves them, keeps those entries at their places in the tree, and lets npm itself normalise the result
// (`npm install --package-lock-only`, which keeps every locked version that satisfies its range).
//
//   node scripts/functions-lockfile.mjs           rewrite functions/package-lock.json
//   node scripts/functions-lockfile.mjs --check   exit 1 when it is not what the root lock gives
//
// Run it after any change of functions/package.json or the root lock (`npm run lock:functions`);
// test/unit/functions-lockfile.test.ts fails when they disagree.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FUNCTIONS = path.join(ROOT, "functions");
const TARGET = path.join(FUNCTIONS, "package-lock.json");

/** The location Node would load `name` from when required by the package at `from` (a lock key). */
function resolve(packages, from, name) {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return null;
    const cut = base.lastIndexOf("/node_modules/");
    base = cut === -1 ? "" : base.slice(0, cut);
  }
}

/** The functions workspace's production closure, keyed by its place in a tree rooted at functions/. */
export function deriveLock(rootLock, functionsPackage) {
  const packages = rootLock.packages;
  const wanted = new Map(); // root-lock location -> { optional }
  const queue = [];
  const want = (from, deps, optional) => {
    for (const name of Object.keys(deps ?? {})) {
      const at = resolve(packages, from, name);
      if (!at) {
        if (optional) continue;
        throw new Error(`${name}, needed by ${from || "functions"}, is not in the root package-lock.json`);
      }
      const seen = wanted.get(at);
      if (seen && (seen.optional === false || optional)) continue;
      wanted.set(at, { optional });
      queue.push(at);
    }
  };
  want("functions", functionsPackage.dependencies, false);
  want("functions", functionsPackage.optionalDependencies, true);
  while (queue.length > 0) {
    const at = queue.shift();
    const entry = packages[at];
    const optional = wanted.get(at).optional;
    want(at, entry.dependencies, optional);
    want(at, entry.optionalDependencies, true);
    const peers = Object.fromEntries(
      Object.entries(entry.peerDependencies ?? {}).filter(
        ([name]) => !entry.peerDependenciesMeta?.[name]?.optional,
      ),
    );
    want(at, peers, optional);
  }

  const out = {
    name: functionsPackage.name,
    lockfileVersion: rootLock.lockfileVersion,
    requires: true,
    packages: {
      "": {
        name: functionsPackage.name,
        ...(functionsPackage.dependencies ? { dependencies: functionsPackage.dependencies } : {}),
        ...(functionsPackage.optionalDependencies
          ? { optionalDependencies: functionsPackage.optionalDependencies }
          : {}),
        ...(functionsPackage.engines ? { engines: functionsPackage.engines } : {}),
      },
    },
  };
  for (const at of [...wanted.keys()].sort()) {
    const target = at.startsWith("functions/") ? at.slice("functions/".length) : at;
    // Flags that described the package's place in the workspace tree (npm recomputes them for this one).
    const entry = Object.fromEntries(
      Object.entries(packages[at]).filter(
        ([key]) => !["dev", "devOptional", "optional", "peer"].includes(key),
      ),
    );
    out.packages[target] = { ...entry, ...(wanted.get(at).optional ? { optional: true } : {}) };
  }
  return out;
}

/** The derived lock as npm writes it (npm orders keys and drops what it does not keep). */
function normalisedByNpm(lock, functionsPackageText) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "functions-lock-"));
  try {
    writeFileSync(path.join(dir, "package.json"), functionsPackageText);
    writeFileSync(path.join(dir, "package-lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
    const npm = spawnSync(
      "npm",
      ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
      { cwd: dir, encoding: "utf8" },
    );
    if (npm.status !== 0) throw new Error(`npm install --package-lock-only failed:\n${npm.stderr}`);
    return readFileSync(path.join(dir, "package-lock.json"), "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main() {
  const rootLock = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
  const functionsPackageText = readFileSync(path.join(FUNCTIONS, "package.json"), "utf8");
  const lockText = normalisedByNpm(
    deriveLock(rootLock, JSON.parse(functionsPackageText)),
    functionsPackageText,
  );
  if (process.argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(TARGET, "utf8");
    } catch {
      // missing: reported below
    }
    if (current !== lockText) {
      console.error("functions/package-lock.json is out of date: run `npm run lock:functions`");
      process.exit(1);
    }
    console.log("functions/package-lock.json matches the root package-lock.json");
    return;
  }
  writeFileSync(TARGET, lockText);
  console.log(
    `wrote ${path.relative(ROOT, TARGET)} (${Object.keys(JSON.parse(lockText).packages).length - 1} packages)`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
