/** Beside every test file that failed, names the file its functions' logs went to (test/support/functionLogs.ts). */
const { existsSync } = require("node:fs");
const path = require("node:path");

class LogsReporter {
  constructor(globalConfig) {
    this.root = globalConfig.rootDir;
  }

  onTestResult(_test, result) {
    if (result.numFailingTests === 0 && !result.testExecError) return;
    // Keep in step with functionLogs.ts.
    const file = path.join(this.root, "test-logs", `${path.relative(this.root, result.testFilePath)}.log`);
    if (existsSync(file)) {
      process.stderr.write(
        `\nThe functions' logs of ${path.relative(this.root, result.testFilePath)}: ${file}\n`,
      );
    }
  }
}
module.exports = LogsReporter;
