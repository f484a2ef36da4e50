// Prints vitest's JSON report as the plain line `N passed, N failed[, N skipped]` (the last line CI records).
// A test file that failed to load counts as one failure; every skipped test is listed by name, so a skip is
// never mistaken for a pass.
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
let failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
for (const suite of report.testResults ?? []) {
  const assertions = suite.assertionResults ?? [];
  if (suite.status === 'failed' && !assertions.some((test) => test.status === 'failed')) {
    failed += 1;
    console.error(`test file failed to run: ${suite.name}: ${String(suite.message ?? '').split('\n')[0]}`);
  }
  for (const test of assertions) {
    if (test.status === 'pending' || test.status === 'skipped' || test.status === 'todo') console.error(`skipped: ${test.fullName}`);
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
