// This project's FCM emulator (fcm-emulator/), started beside the Firebase emulators on its fixed port.
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { HarnessError, ROOT } from "./harness.mjs";
import { spawnGroup } from "./processes.mjs";

export const FCM_HOST = "127.0.0.1";
export const FCM_PORT = 9599;

function portIsFree(port, host) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

async function waitForPort(port, host, timeoutMs, child) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new HarnessError(`the FCM emulator exited (code ${child.exitCode})`);
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, host);
      socket.once("connect", () => socket.end(() => resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new HarnessError(`the FCM emulator did not listen on ${host}:${port} within ${timeoutMs} ms`);
}

/**
 * Starts the built FCM emulator in a process group of its own; resolves once it listens. Its output goes to
 * the terminal, or, given `emulatorLog` (exec mode), into the emulators' log file.
 */
export async function startFcmEmulator(env, emulatorLog) {
  const entry = path.join(ROOT, "fcm-emulator/lib/server.js");
  if (!existsSync(entry)) throw new HarnessError(`${entry} is missing: run 'npm run build' first.`);
  if (!(await portIsFree(FCM_PORT, FCM_HOST))) {
    throw new HarnessError(
      `port ${FCM_PORT} is in use, so the FCM emulator cannot start: is another emulator run still up?`,
    );
  }
  const args = [entry, "--host", FCM_HOST, "--port", String(FCM_PORT)];
  const child = spawnGroup(process.execPath, args, env, emulatorLog ? ["ignore", "pipe", "pipe"] : "inherit");
  if (emulatorLog) {
    emulatorLog.copy(child.stdout, { toConsole: false });
    emulatorLog.copy(child.stderr, { toConsole: false });
  }
  await waitForPort(FCM_PORT, FCM_HOST, 15_000, child);
  return child;
}
