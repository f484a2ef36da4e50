// Prints vitest's JSON report as the plain line `N passed, N failed[, N skipped]` (the last line CI records).
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.test-output/vitest.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`no vitest JSON report at ${file}: ${error.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const failed = (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0 ? 0 : 0);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const suitesFailed = report.numFailedTestSuites ?? 0;
if (suitesFailed > 0) console.error(`${suitesFailed} test file(s) failed to run`);
// List skipped tests with their names so a skip is never mistaken for a pass.
for (const suite of report.testResults ?? []) {
  for (const test of suite.assertionResults ?? []) {
    if (test.status === 'pending' || test.status === 'skipped' || test.status === 'todo') console.error(`skipped: ${test.fullName}`);
  }
}
console.log(`${passed} passed, ${failed + suitesFailed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed + suitesFailed > 0 ? 1 : 0);
