/** The CLI's step lines: what reaches stderr for a terminal and for a pipe (exact strings). */
import { describe, expect, it } from 'vitest';
import type { GenerationProgress } from '../engine/events.js';
import { stepLines } from './step-lines.js';

/** What a run reports: encode, steps 1..n of total, decode (stopping after `n` when n < total). */
function written(isTTY: boolean, total: number, n = total): string {
  let out = '';
  const lines = stepLines((text) => void (out += text), isTTY);
  const events: GenerationProgress[] = [
    { stage: 'encode' },
    ...Array.from({ length: n }, (_, k) => ({ stage: 'denoise' as const, step: k + 1, totalSteps: total })),
  ];
  if (n === total) events.push({ stage: 'decode' });
  for (const event of events) lines.onProgress(event);
  lines.close();
  return out;
}

describe('stepLines', () => {
  it('a pipe or file gets one plain line per step, no carriage returns', () => {
    expect(written(false, 3)).toBe('step 1/3\nstep 2/3\nstep 3/3\n');
  });

  it('a terminal gets one line rewritten in place, ended after the last step', () => {
    expect(written(true, 3)).toBe('\rstep 1/3\rstep 2/3\rstep 3/3\n');
  });

  it('a terminal run stopped part-way still ends its line (once)', () => {
    expect(written(true, 20, 2)).toBe('\rstep 1/20\rstep 2/20\n');
    expect(written(false, 20, 2)).toBe('step 1/20\nstep 2/20\n');
  });
});
