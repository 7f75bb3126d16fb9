// Where the CPU of a measured run went, per process, from /proc (Linux only; elsewhere every figure is
// null): the Firestore emulator's JVM, the FCM emulator, the Functions emulator's workers (the trigger and
// the slices run there), firebase-tools itself (the hub, the Cloud Tasks emulator, the functions' proxy),
// and this process (the ceiling's client). On this 2-core machine the fan-out is bound by the CPU of all of
// them together, so these figures say how far the fan-out can get against the ceiling (docs/performance.md).
import { readdirSync, readFileSync } from "node:fs";

const KINDS = [
  ["firestore_emulator", (cmd) => /\bjava\b/.test(cmd) && /firestore/i.test(cmd)],
  ["fcm_emulator", (cmd) => cmd.includes("fcm-emulator/lib/server.js")],
  ["functions", (cmd) => cmd.includes("functionsEmulatorRuntime")],
  ["firebase_tools", (cmd) => /firebase-tools\/lib\/bin\/firebase/.test(cmd)],
];

/** ms of CPU (user + system) each kind of process has used so far, this process's included; null off Linux. */
export function cpuSnapshot() {
  const own = process.cpuUsage();
  const snapshot = { bench: (own.user + own.system) / 1000 };
  for (const [kind] of KINDS) snapshot[kind] = 0;
  let pids;
  try {
    pids = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  } catch {
    return null;
  }
  const tick = 10; // ms per clock tick (USER_HZ is 100 on Linux)
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      const kind = KINDS.find(([, matches]) => matches(cmd))?.[0];
      if (!kind) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      snapshot[kind] += (Number(fields[11]) + Number(fields[12])) * tick;
    } catch {
      // the process ended between the listing and the read
    }
  }
  return snapshot;
}

/** µs of CPU per message between two snapshots, per kind of process and in total; null off Linux. */
export function cpuPerMessage(before, after, messages) {
  if (!before || !after || messages <= 0) return null;
  const perMessage = {};
  let total = 0;
  for (const kind of Object.keys(after)) {
    const us = Math.max(0, ((after[kind] - before[kind]) * 1000) / messages);
    perMessage[kind] = Math.round(us);
    total += us;
  }
  perMessage.total = Math.round(total);
  return perMessage;
}
