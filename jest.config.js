/** Every test of the project. `npm test` runs them all inside the emulator harness, in one process
 * (--runInBand): integration tests share the emulators and the FCM emulator's fault switch. */
const tsJest = { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] };
/** Params at their defaults, and the functions' logs in test-logs/ (a failing test names its file). */
const setup = {
  transform: tsJest,
  testEnvironment: "node",
  setupFiles: ["<rootDir>/test/support/paramDefaults.ts"],
  setupFilesAfterEnv: ["<rootDir>/test/support/functionLogs.ts"],
};

/** @type {import('jest').Config} */
module.exports = {
  // Integration tests wait for emulated functions and triggers; unit tests finish long before this.
  testTimeout: 60000,
  reporters: ["default", "<rootDir>/test/support/logsReporter.js", "<rootDir>/test/summary-reporter.js"],
  projects: [
    {
      displayName: "unit",
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
      ...setup,
    },
    {
      displayName: "integration",
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
      ...setup,
    },
    {
      // The push inbox and the demo web app in Debian's chromium (playwright-core), against the emulators.
      displayName: "browser",
      testMatch: ["<rootDir>/test/browser/**/*.test.ts"],
      transform: tsJest,
      testEnvironment: "node",
    },
    {
      displayName: "rules",
      testMatch: ["<rootDir>/test/rules/**/*.test.ts"],
      ...setup,
    },
  ],
};
