/**
 * A Vitest reporter for scripts/test-all.mjs: lists the tests that were meant to run (not
 * `it.skip` / `it.todo`) but never reported a result, e.g. every test of a file whose `beforeAll`
 * threw. Vitest's JSON report counts those as skipped, like deliberate skips; test-all counts them
 * as failed and names them. Writes `[{ file, name }]` to the file named by $LOST_TESTS_OUT.
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';

export default class LostTestsReporter {
  onTestRunEnd(testModules) {
    const lost = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const declared = test.options.mode;
        const { state } = test.result();
        if ((declared === 'run' || declared === 'only') && state !== 'passed' && state !== 'failed') {
          lost.push({ file: relative(process.cwd(), module.moduleId), name: test.fullName });
        }
      }
    }
    if (process.env.LOST_TESTS_OUT) writeFileSync(process.env.LOST_TESTS_OUT, JSON.stringify(lost, null, 1));
  }
}
