/**
 * scripts/test-all.mjs's closing counts (issue 12 item 9): a suite whose `beforeAll` throws must not
 * come out as "0 failed, N skipped". Runs Vitest for real on a throwaway test file with a failing
 * `beforeAll`, a deliberate `it.skip`, an `it.todo` and a passing test, with the same reporters
 * test-all uses, then reads the counts as test-all does.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
type Summary = { passed: number; failed: number; skipped: number; lost: { file: string; name: string }[] };
type SummaryModule = { summarizeSuite(report: string, lost: string): Summary; describeSuite(name: string, summary: Summary): string[] };

it('counts the tests of a suite whose beforeAll failed as failed, names them, and keeps deliberate skips as skipped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sd-test-summary-'));
  writeFileSync(
    join(dir, 'hook.test.mjs'),
    `import { beforeAll, describe, expect, it } from 'vitest';
describe('browser suite', () => {
  beforeAll(() => { throw new Error('Chromium did not start'); });
  it('loads the model', () => expect(1).toBe(1));
  it('generates', () => expect(1).toBe(1));
  it.skip('needs a GPU', () => {});
});
it('passes', () => expect(1).toBe(1));
it.todo('later');
`,
  );
  const report = join(dir, 'report.json');
  const lost = join(dir, 'lost.json');
  const run = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/vitest/vitest.mjs'),
      'run',
      '--root',
      dir,
      '--reporter=json',
      `--outputFile=${report}`,
      `--reporter=${join(ROOT, 'scripts/lost-tests-reporter.mjs')}`,
    ],
    { cwd: dir, env: { ...process.env, LOST_TESTS_OUT: lost }, encoding: 'utf8' },
  );
  expect(run.status).toBe(1);
  const { summarizeSuite, describeSuite } = (await import(join(ROOT, 'scripts/test-summary.mjs'))) as SummaryModule;
  const summary = summarizeSuite(report, lost);
  expect(summary).toMatchObject({ passed: 1, failed: 2, skipped: 2 });
  expect(describeSuite('e2e', summary)).toEqual([
    'e2e: 1 passed, 2 failed, 2 skipped',
    'e2e: 2 tests never ran (a beforeAll or the file failed), counted as failed:',
    '  hook.test.mjs > browser suite > loads the model',
    '  hook.test.mjs > browser suite > generates',
  ]);
});
