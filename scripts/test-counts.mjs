// Prints the plain closing line CI reads, `N passed, N failed[, N skipped]`, from vitest's
// JSON report. Exits 1 when the report is missing (the tests never ran) or counts nothing.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`test-counts: no vitest JSON report at ${file} (${error.message}); the tests did not run to the end`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// A file that failed to load (or a hook that threw) fails with no failed test in it: count
// each such file as one failure, so it cannot pass unseen.
const failed = (report.numFailedTests ?? 0) + filesFailedWithoutATest(report);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(passed === 0 || failed > 0 ? 1 : 0);

function filesFailedWithoutATest(report) {
  return (report.testResults ?? []).filter((file) => file.status === 'failed' && !(file.assertionResults ?? []).some((test) => test.status === 'failed')).length;
}
