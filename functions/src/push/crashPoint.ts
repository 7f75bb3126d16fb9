/**
 * Crash points for the crash drills (drills/, docs/delivery.md "Crash drills"): `crashPoint(name, n)` kills
 * this process for real (SIGKILL: no finally, no flush, as an out-of-memory kill or a lost instance) the
 * first time point `name` is reached with a count of at least `n`, when `PUSH_CRASH_AT="<name>:<n>"` asks for
 * it. Inert unless the process also talks to the Firestore emulator of a `demo-` project: production never
 * sets FIRESTORE_EMULATOR_HOST, so no variable set by mistake can make a deployed function kill itself.
 */

import type { PushSender } from "./domain/deliver";

/** The points the pipeline offers. */
export type CrashPointName = "after-gate" | "sent-batch" | "enqueue";

export type CrashSwitch = { name: string; at: number } | undefined;

/** The drill's request, if the environment is an emulator's and asks for one. */
export function crashSwitchOf(env: NodeJS.ProcessEnv): CrashSwitch {
  const wanted = env.PUSH_CRASH_AT?.trim();
  if (!wanted || !env.FIRESTORE_EMULATOR_HOST) return undefined;
  const project = env.GCLOUD_PROJECT ?? env.GOOGLE_CLOUD_PROJECT ?? "";
  if (!project.startsWith("demo-")) return undefined;
  const match = /^([a-z-]+)(?::(\d+))?$/.exec(wanted);
  if (!match?.[1]) return undefined;
  return { name: match[1], at: Number(match[2] ?? 1) };
}

/** Kills the process if the drill's switch names this point and `count` reached it. */
export function crashPoint(name: CrashPointName, count = 1): void {
  const wanted = crashSwitchOf(process.env);
  if (wanted && wanted.name === name && count >= wanted.at) process.kill(process.pid, "SIGKILL");
}

/** `sender` with the "sent-batch" point after each `sendEach` answer (only wrapped when a drill asks). */
export function crashingSender<M>(sender: PushSender<M>): PushSender<M> {
  if (crashSwitchOf(process.env)?.name !== "sent-batch") return sender;
  let batches = 0;
  return {
    async sendEach(messages) {
      const answer = await sender.sendEach(messages);
      batches++;
      crashPoint("sent-batch", batches);
      return answer;
    },
  };
}
