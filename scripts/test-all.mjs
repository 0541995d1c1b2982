#!/usr/bin/env node
/**
 * The project's test command (`npm test`): typecheck, fast unit tests (Node), then browser tests
 * (Chromium). Prints the runners' own counts and ends with the line "N passed, N failed".
 * `npm test -- --unit` runs only the unit tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const unitOnly = process.argv.includes('--unit');
const reports = 'test-results';
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

function run(cmd, args) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  return spawnSync(cmd, args, { stdio: 'inherit', env: process.env }).status ?? 1;
}

let failedRuns = 0;
if (run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']) !== 0) {
  console.log('typecheck failed');
  failedRuns++;
}
const suites = [['unit', []]];
if (!unitOnly) suites.push(['e2e', ['-c', 'vitest.e2e.config.ts']]);
let passed = 0;
let failed = 0;
for (const [name, extra] of suites) {
  const out = `${reports}/${name}.json`;
  const status = run('npx', ['vitest', 'run', ...extra, '--reporter=default', '--reporter=json', `--outputFile=${out}`]);
  try {
    const report = JSON.parse(readFileSync(out, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    // A suite that fails to load counts its file as a failure.
    const brokenFiles = report.testResults.filter((r) => r.status === 'failed' && r.assertionResults.length === 0).length;
    failed += brokenFiles;
    console.log(`${name}: ${report.numPassedTests} passed, ${report.numFailedTests + brokenFiles} failed, ${report.numPendingTests} skipped`);
  } catch {
    console.log(`${name}: no report (vitest exited with ${status})`);
    failed++;
  }
  if (status !== 0) failedRuns++;
}
console.log(`${passed} passed, ${failed + (failedRuns && !failed ? failedRuns : 0)} failed`);
process.exit(failed || failedRuns ? 1 : 0);
