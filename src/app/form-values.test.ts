import { describe, expect, it } from 'vitest';
import { SD_V1_GEOMETRY } from '../engine/model-geometry.js';
import { CUSTOM_MODEL_ID, toRequest, validateForm, type FormValues } from './form-values.js';

const valid: FormValues = {
  modelId: 'shapes-sd',
  customUrl: '',
  prompt: 'a red circle on a blue background',
  negativePrompt: '',
  promptSyntax: 'a1111',
  scheduler: 'pndm',
  steps: 20,
  guidanceScale: 7.5,
  seed: -1,
  width: 128,
  height: 128,
  batchCount: 1,
  vaeDecodeEvery: 0,
};

describe('validateForm', () => {
  it('accepts a complete form', () => {
    expect(validateForm(valid)).toEqual([]);
  });

  it('names each bad field with what to do', () => {
    const errors = validateForm({ ...valid, steps: 0, guidanceScale: NaN, width: 130, batchCount: 1.5, seed: -2 });
    expect(errors.map((e) => e.field)).toEqual(['steps', 'guidanceScale', 'width', 'seed', 'batchCount']);
    expect(validateForm({ ...valid, promptSyntax: 'nai' as 'plain' })).toEqual([{ field: 'promptSyntax', message: 'Prompt syntax must be one of plain, a1111 (got "nai").' }]);
    expect(errors.find((e) => e.field === 'width')?.message).toBe("Width must be a multiple of 8 for this model (the VAE's factor 8 x 2^0 UNet down-samplings): try 128 or 136 (got 130).");
  });

  it("checks sizes with the loaded model's rule: multiples of 32 for shapes-sd (2 UNet down-samplings)", () => {
    const shapes = { ...SD_V1_GEOMETRY, sizeMultiple: 32, unetDownsamplings: 2, defaultWidth: 128, defaultHeight: 128 };
    expect(validateForm({ ...valid, width: 120 }, shapes)).toEqual([
      { field: 'width', message: "Width must be a multiple of 32 for this model (the VAE's factor 8 x 2^2 UNet down-samplings): try 96 or 128 (got 120)." },
    ]);
    expect(validateForm({ ...valid, width: 96, height: 160 }, shapes)).toEqual([]);
  });

  it('accepts an empty prompt (unconditional, as in diffusers and AUTOMATIC1111)', () => {
    expect(validateForm({ ...valid, prompt: '' })).toEqual([]);
  });

  it('needs a usable URL for a custom model', () => {
    expect(validateForm({ ...valid, modelId: CUSTOM_MODEL_ID, customUrl: '' })[0].field).toBe('customUrl');
    expect(validateForm({ ...valid, modelId: CUSTOM_MODEL_ID, customUrl: 'ftp://example.com/model/' })[0].message).toContain('http(s)');
    expect(validateForm({ ...valid, modelId: CUSTOM_MODEL_ID, customUrl: 'https://huggingface.co/org/repo' })).toEqual([]);
  });
});

describe('toRequest', () => {
  it('maps the form to diffusers-named request fields with the resolved seed', () => {
    expect(toRequest({ ...valid, negativePrompt: 'blurry', scheduler: 'euler_a' }, 1234)).toEqual({
      prompt: 'a red circle on a blue background',
      negativePrompt: 'blurry',
      promptSyntax: 'a1111',
      scheduler: 'euler_a',
      numInferenceSteps: 20,
      guidanceScale: 7.5,
      seed: 1234,
      width: 128,
      height: 128,
    });
  });
});
