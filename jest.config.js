/** Every test of the project. `npm test` runs them all inside the emulator harness, in one process
 * (--runInBand): integration tests share the emulators and the FCM emulator's fault switch. */
const tsJest = { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] };

/** @type {import('jest').Config} */
module.exports = {
  // Integration tests wait for emulated functions and triggers; unit tests finish long before this.
  testTimeout: 60000,
  reporters: ["default", "<rootDir>/test/summary-reporter.js"],
  projects: [
    {
      displayName: "unit",
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
      transform: tsJest,
      testEnvironment: "node",
    },
    {
      displayName: "integration",
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
      transform: tsJest,
      testEnvironment: "node",
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
      transform: tsJest,
      testEnvironment: "node",
    },
  ],
};
