// The run lock: one emulator run at a time per checkout (the ports are fixed). A second run says who holds
// them and stops, or, with EMULATORS_WAIT_SECONDS set, waits that long for its turn. A lock left by a run
// that was killed (its pid gone) is taken over.
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { HarnessError, SCRATCH, log } from "./harness.mjs";
import { processIsAlive } from "./processes.mjs";

/** Takes `.emulators/run.lock` for this process; resolves with the function that releases it. */
export async function acquireRunLock() {
  const lock = path.join(SCRATCH, "run.lock");
  const waitMs = Number(process.env.EMULATORS_WAIT_SECONDS ?? 0) * 1000;
  const deadline = Date.now() + waitMs;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(lock, "wx");
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
    }
    const holder = Number(readFileSync(lock, "utf8").trim());
    if (!holder || !processIsAlive(holder)) {
      rmSync(lock, { force: true }); // left by a run that was killed
      continue;
    }
    if (Date.now() >= deadline) {
      throw new HarnessError(
        `another emulator run (pid ${holder}, e.g. npm start) holds the emulator ports: stop it first` +
          (waitMs ? ` (waited ${waitMs / 1000} s)` : ", or set EMULATORS_WAIT_SECONDS to wait for it"),
      );
    }
    if (!announced) log(`waiting for the emulator run of pid ${holder} to finish…`);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
