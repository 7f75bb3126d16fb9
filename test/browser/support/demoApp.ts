// What the demo app's browser tests share: running a repository script as a developer would, and the demo
// web app's own server (`node demo-app/server.mjs --port 0`, as beside `npm start`).
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export const ROOT = path.resolve(__dirname, "../../..");

/** Runs `node <script>` from the repository root; resolves its exit code. */
export function runScript(script: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, script)], { cwd: ROOT, stdio: "inherit" });
    child.once("error", reject);
    child.once("close", resolve);
  });
}

/** Starts the demo app's server on a free port: the process, and its URL once it says it. */
export function startDemoServer(): { server: ChildProcess; url: Promise<string> } {
  const server = spawn(process.execPath, [path.join(ROOT, "demo-app/server.mjs"), "--port", "0"], {
    cwd: ROOT,
  });
  const url = new Promise<string>((resolve, reject) => {
    let output = "";
    server.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      const found = /Demo web app on (http:\/\/\S+)/.exec(output)?.[1];
      if (found) resolve(found);
    });
    server.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    server.once("exit", (code) => reject(new Error(`the demo app exited (${code}): ${output}`)));
  });
  return { server, url };
}
