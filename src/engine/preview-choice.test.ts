/** previewPlan: the tiny decoder's preview where the model has one, else the cheap one; none turns them off. */
import { describe, expect, it } from 'vitest';
import { previewPlan } from './preview-choice.js';

describe('previewPlan', () => {
  it('previews with the tiny decoder when the model has it, else the latent projection', () => {
    expect(previewPlan('tiny', true)).toEqual({ kind: 'tiny', every: 1 });
    expect(previewPlan('tiny', false)).toEqual({ kind: 'latent', every: 1 });
    expect(previewPlan('latent', true, 3)).toEqual({ kind: 'latent', every: 3 });
  });

  it('none, or an interval of 0, previews nothing', () => {
    expect(previewPlan('none', true)).toEqual({ kind: null, every: 0 });
    expect(previewPlan('tiny', true, 0)).toEqual({ kind: null, every: 0 });
  });
});
