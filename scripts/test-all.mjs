#!/usr/bin/env node
/**
 * The project's test command (`npm test`): typecheck (src and bench), format and lint check (Biome),
 * Node tests (the unit and parity projects), then browser tests
 * (Chromium). Prints the runners' own counts and ends with the line "N passed, N failed".
 * `npm test -- --unit` runs only the unit tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { describeSuite, summarizeSuite } from './test-summary.mjs';

const unitOnly = process.argv.includes('--unit');
const reports = 'test-results';
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

function run(cmd, args, env = {}) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  return spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;
}

let failedRuns = 0;
for (const project of ['tsconfig.json', 'bench/tsconfig.json']) {
  if (run('npx', ['tsc', '-p', project, '--noEmit']) !== 0) {
    console.log(`typecheck failed (${project})`);
    failedRuns++;
  }
}
// Formatting and lint (biome.json): `npx biome check --write .` fixes what it can.
if (run('npx', ['biome', 'check', '.']) !== 0) {
  console.log('format/lint check failed: run npx biome check --write .');
  failedRuns++;
}
const suites = [['unit', []]];
if (!unitOnly) suites.push(['e2e', ['-c', 'vitest.e2e.config.ts']]);
let passed = 0;
let failed = 0;
for (const [name, extra] of suites) {
  const out = `${reports}/${name}.json`;
  const lostOut = `${reports}/${name}-lost.json`;
  const reporters = ['--reporter=default', '--reporter=json', `--outputFile=${out}`, '--reporter=./scripts/lost-tests-reporter.mjs'];
  const status = run('npx', ['vitest', 'run', ...extra, ...reporters], { LOST_TESTS_OUT: lostOut });
  try {
    const summary = summarizeSuite(out, lostOut);
    passed += summary.passed;
    failed += summary.failed;
    for (const line of describeSuite(name, summary)) console.log(line);
  } catch {
    console.log(`${name}: no report (vitest exited with ${status})`);
    failed++;
  }
  if (status !== 0) failedRuns++;
}
console.log(`${passed} passed, ${failed + (failedRuns && !failed ? failedRuns : 0)} failed`);
process.exit(failed || failedRuns ? 1 : 0);
