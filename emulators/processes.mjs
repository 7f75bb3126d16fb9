// Process cleanup: the harness leaves no process behind, however a run ends. Everything it starts runs in
// a process group of its own, stopped with SIGINT (firebase-tools shuts its emulators down on it), then
// SIGKILL; and the Java emulators that firebase-tools starts in groups of their own are tracked and killed
// by pid at the end. Only processes this run started are ever signalled: never anything found by name.
import { spawn, spawnSync } from "node:child_process";
import { ROOT, log } from "./harness.mjs";

const STOP_GRACE_MS = 15_000;

/** A child in a process group of its own, so that stopping it also stops whatever it started. */
export function spawnGroup(command, args, env, stdio = "inherit") {
  return spawn(command, args, { cwd: ROOT, env, stdio, detached: true });
}

function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Resolves with the child's exit code (or its signal's name) once it has exited. */
export function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

/** SIGINT to the child's group, then SIGKILL for anything of it still there after the grace period. */
export async function stopGroup(child) {
  if (!child) return;
  signalGroup(child, "SIGINT");
  const timer = setTimeout(() => signalGroup(child, "SIGKILL"), STOP_GRACE_MS);
  await exited(child);
  clearTimeout(timer);
  signalGroup(child, "SIGKILL");
}

export function processIsAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/**
 * Every process started under `rootPid`, as far as `ps` can tell now. firebase-tools starts the Java
 * emulators in process groups of their own (detached), so stopping its group does not reach them; and a
 * firebase-tools that is killed leaves them to init. So the harness keeps this list while it runs and
 * kills whatever of it is left at the end.
 */
function descendantsOf(rootPid) {
  const listing = spawnSync("ps", ["-A", "-o", "pid=,ppid="], { encoding: "utf8" }).stdout ?? "";
  const children = new Map();
  for (const line of listing.split("\n")) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (!pid || !ppid) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const found = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Notes every descendant of `rootPid` every 2 s, so that those left at the end can be killed. */
export function watchDescendants(rootPid) {
  const seen = new Set();
  const look = () => descendantsOf(rootPid).forEach((pid) => seen.add(pid));
  const timer = setInterval(look, 2_000);
  timer.unref();
  return {
    /** Stops watching and kills every process seen under `rootPid` that is still alive. */
    killLeftovers() {
      clearInterval(timer);
      look();
      for (const pid of seen) {
        if (!processIsAlive(pid)) continue;
        log(`stopping leftover emulator process ${pid}`);
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone meanwhile
        }
      }
    },
  };
}
