/**
 * One suite's counts for scripts/test-all.mjs, from Vitest's JSON report and the lost-tests
 * reporter's list (scripts/lost-tests-reporter.mjs). Tests that never ran although they were meant
 * to (their file's `beforeAll` threw, or the run died) count as failed and are named; a file that
 * failed to load counts as one failure.
 */
import { existsSync, readFileSync } from 'node:fs';

/** @returns {{ passed: number, failed: number, skipped: number, lost: { file: string, name: string }[], brokenFiles: number }} */
export function summarizeSuite(reportPath, lostPath) {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  const lost = existsSync(lostPath) ? JSON.parse(readFileSync(lostPath, 'utf8')) : [];
  const brokenFiles = report.testResults.filter((r) => r.status === 'failed' && r.assertionResults.length === 0).length;
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + brokenFiles + lost.length,
    skipped: report.numPendingTests + report.numTodoTests - lost.length,
    lost,
    brokenFiles,
  };
}

/** The lines test-all prints for one suite. */
export function describeSuite(name, summary) {
  const lines = [`${name}: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped`];
  if (summary.lost.length > 0) {
    lines.push(`${name}: ${summary.lost.length} test${summary.lost.length === 1 ? '' : 's'} never ran (a beforeAll or the file failed), counted as failed:`);
    for (const test of summary.lost) lines.push(`  ${test.file} > ${test.name}`);
  }
  return lines;
}
