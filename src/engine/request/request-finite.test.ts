/**
 * Input that is not finite is refused where it enters, as bad input with its real reason (issue 25
 * item 8), instead of reaching the engine and being reported as damaged weights: emphasis that
 * multiplies to Inf (10,000 brackets, (a:1e39)), and initial latents holding NaN or Inf.
 */
import { describe, expect, it } from 'vitest';
import { SD_V1_GEOMETRY } from '../model/model-geometry.js';
import { applyEmphasis } from '../text/conditioning.js';
import { validateRequest } from './request.js';

const shapes = { ...SD_V1_GEOMETRY, sizeMultiple: 32, unetDownsamplings: 2, defaultWidth: 128, defaultHeight: 128 };

describe('validateRequest: finite input', () => {
  it.each([
    ['10,000 nested brackets', `${'('.repeat(10_000)}a`, /The prompt: Emphasis is nested 10000 brackets deep/],
    ['a weight beyond float32', `(a:1${'0'.repeat(39)})`, /The prompt: The emphasis on "a" multiplies to a weight of 1e\+39, which is not a finite number/],
    ['an infinite product of finite weights', `((a:1${'0'.repeat(300)}):1${'0'.repeat(300)})`, /weight of Infinity/],
  ])('a1111 prompt with %s: refused on the prompt field', (_, prompt, message) => {
    const errors = validateRequest({ prompt, promptSyntax: 'a1111', seed: 1 }, shapes);
    expect(errors).toEqual([{ field: 'prompt', message: expect.stringMatching(message) }]);
    const negative = validateRequest({ prompt: 'x', negativePrompt: prompt, promptSyntax: 'a1111', seed: 1 }, shapes);
    expect(negative.map((e) => e.field)).toEqual(['negativePrompt']);
    // The plain syntax reads brackets as text: nothing to refuse.
    expect(validateRequest({ prompt, seed: 1 }, shapes)).toEqual([]);
  });

  it('initial latents with NaN or Inf are refused, naming the first bad value', () => {
    const latents = new Float32Array(4 * 16 * 16).fill(Number.NaN);
    expect(validateRequest({ prompt: 'x', latents }, shapes)).toEqual([
      { field: 'latents', message: 'Initial latents must be finite numbers: value 0 of 1024 is NaN (all are NaN).' },
    ]);
    const one = new Float32Array(4 * 16 * 16);
    one[7] = Number.POSITIVE_INFINITY;
    expect(validateRequest({ prompt: 'x', latents: one }, shapes)).toEqual([
      { field: 'latents', message: 'Initial latents must be finite numbers: value 7 of 1024 is Infinity.' },
    ]);
    expect(validateRequest({ prompt: 'x', latents: new Float32Array(1024) }, shapes)).toEqual([]);
  });
});

describe("applyEmphasis: an overflow caused by the weights is the prompt's fault", () => {
  it('weights whose product overflows float32 throw InvalidRequestError, finite ones do not', () => {
    const z = Float32Array.from({ length: 3 * 4 }, (_, i) => (i % 5) - 1.5);
    expect(() => applyEmphasis(z, [1, 3e38, 1])).toThrow(/emphasis weights \(up to 3e\+38\) make the text embeddings overflow/);
    expect(applyEmphasis(z, [1, 1.1, 1]).every(Number.isFinite)).toBe(true);
  });
});
