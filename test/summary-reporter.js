const path = require("node:path");

/**
 * Ends every jest run with the totals alone on one line, `N passed, N failed`, which CI reads. When tests
 * failed inside the emulator harness, the line before it names the file that holds the emulators' and the
 * functions' logs (EMULATORS_LOG, set by emulators/run.mjs), where a failed trigger or callable says why.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const logFile = process.env.EMULATORS_LOG;
    if (failed > 0 && logFile) {
      const relative = path.relative(process.cwd(), logFile);
      const shown = relative.startsWith("..") ? logFile : relative;
      process.stdout.write(`\nThe emulators' and functions' logs of this run: ${shown}\n`);
    }
    process.stdout.write(`\n${results.numPassedTests} passed, ${failed} failed\n`);
  }
}
module.exports = SummaryReporter;
