/**
 * Ends every run with one plain line, `N passed, N failed`, that any CI log reader understands.
 * The global teardown (same process, after this) repeats it after its log audit, so that it stays
 * the last line.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    globalThis.wellhubTestSummary = `${results.numPassedTests} passed, ${results.numFailedTests} failed`;
    process.stdout.write(`\n${globalThis.wellhubTestSummary}\n`);
  }
}

module.exports = SummaryReporter;
