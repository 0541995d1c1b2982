import { describe, expect, it } from 'vitest';
import { CUSTOM_MODEL_ID, toRequest, validateForm, type FormValues } from './form-values.js';

const valid: FormValues = {
  modelId: 'shapes-sd',
  customUrl: '',
  prompt: 'a red circle on a blue background',
  negativePrompt: '',
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
    const errors = validateForm({ ...valid, prompt: '  ', steps: 0, guidanceScale: NaN, width: 130, batchCount: 1.5, seed: -2 });
    expect(errors.map((e) => e.field)).toEqual(['prompt', 'steps', 'guidanceScale', 'width', 'seed', 'batchCount']);
    expect(errors.find((e) => e.field === 'width')?.message).toBe('Width must be a multiple of 8 (the VAE works on 8x8 blocks): try 128 or 136.');
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
      scheduler: 'euler_a',
      numInferenceSteps: 20,
      guidanceScale: 7.5,
      seed: 1234,
      width: 128,
      height: 128,
    });
  });
});
