/** previewPlan: the tiny decoder's preview where the model has one, else the cheap one; none turns them off. */
import { describe, expect, it } from 'vitest';
import { PreviewBudget, previewPlan } from './preview-choice.js';

describe('previewPlan', () => {
  it('previews with the tiny decoder when the model has it, else the latent projection', () => {
    expect(previewPlan('tiny', true)).toEqual({ kind: 'tiny', every: 1 });
    expect(previewPlan('tiny', false)).toEqual({ kind: 'latent', every: 1 });
    expect(previewPlan('latent', true, 3)).toEqual({ kind: 'latent', every: 3 });
  });

  it('the budget: the first step always; then while previews took at most the share of the time without them', () => {
    // steps of 100 ms, previews of 30 ms, budget 10%: about one step in 3.3 (30 / (0.1 x 100))
    const budget = new PreviewBudget(0.1, 0);
    let now = 0;
    const previewed: number[] = [];
    for (let step = 1; step <= 10; step++) {
      now += 100;
      if (budget.allows(now)) {
        previewed.push(step);
        budget.spent(30);
        now += 30;
      }
    }
    expect(previewed).toEqual([1, 3, 6, 9]);
    const always = new PreviewBudget(Infinity, 0);
    always.spent(1e9);
    expect(always.allows(1)).toBe(true);
  });

  it('none, or an interval of 0, previews nothing', () => {
    expect(previewPlan('none', true)).toEqual({ kind: null, every: 0 });
    expect(previewPlan('tiny', true, 0)).toEqual({ kind: null, every: 0 });
  });
});
