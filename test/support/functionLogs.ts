// Jest setup (after the framework): what the functions log through `firebase-functions/logger` while a
// test calls them in-process goes to a file per test file, each line under the name of its test, instead
// of into jest's output. test/support/logsReporter.js names the file beside a failing test.
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { logger } from "firebase-functions/logger";

const ROOT = path.resolve(__dirname, "../..");
/** Keep in step with logsReporter.js. */
const file = path.join(
  ROOT,
  "test-logs",
  `${path.relative(ROOT, expect.getState().testPath ?? "unknown")}.log`,
);
const levels = ["debug", "log", "info", "warn", "error"] as const;

beforeAll(() => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, "");
});

beforeEach(() => {
  const test = expect.getState().currentTestName ?? "(outside a test)";
  appendFileSync(file, `\n=== ${test}\n`);
  for (const level of levels) {
    jest.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
      const text = args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" ");
      appendFileSync(file, `${level.toUpperCase()} ${text}\n`);
    });
  }
});

afterEach(() => {
  for (const level of levels) {
    const method = logger[level];
    if (jest.isMockFunction(method)) method.mockRestore();
  }
});
