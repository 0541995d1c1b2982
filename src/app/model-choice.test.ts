import { describe, expect, it, vi } from 'vitest';
import { presets } from '../presets/presets.js';
import { CUSTOM_MODEL_ID } from './form-values.js';
import { validateForm, type FormValues } from './form-values.js';
import { isBundled, modelSpecFor, needsUrl, recommendedValues } from './model-choice.js';

const specs = presets('https://app.example/sd/');

describe('model choice', () => {
  it('finds presets and builds a spec for a typed folder URL', () => {
    expect(modelSpecFor('shapes-sd', '', specs)?.urls.fp32).toBe('https://app.example/sd/models/shapes-sd-fp32/');
    expect(modelSpecFor(CUSTOM_MODEL_ID, 'https://huggingface.co/org/repo', specs)).toEqual({
      id: 'custom:https://huggingface.co/org/repo/resolve/main/',
      label: 'org/repo',
      urls: { fp16: 'https://huggingface.co/org/repo/resolve/main/', fp32: 'https://huggingface.co/org/repo/resolve/main/' },
    });
    expect(modelSpecFor(CUSTOM_MODEL_ID, 'not a url', specs)).toBeNull();
  });

  it("Stable Diffusion v1.4 is a preset for the user's own folder: it asks for the URL and brings its settings", () => {
    const sd = specs.find((spec) => spec.id === 'sd-v1-4')!;
    expect(sd.urls).toEqual({});
    expect(sd.askUrl).toContain('tools/prepare_model.py');
    expect(sd.description).toContain('3.4 GB'); // why CompVis' own export cannot be used
    expect(needsUrl('sd-v1-4', specs)).toBe(true);
    expect(needsUrl('shapes-sd', specs)).toBe(false);
    expect(needsUrl(CUSTOM_MODEL_ID, specs)).toBe(true);
    expect(modelSpecFor('sd-v1-4', '', specs)).toBeNull();
    const url = 'https://models.example/sd14-fp16/';
    expect(modelSpecFor('sd-v1-4', url, specs)).toMatchObject({
      id: `sd-v1-4:${url}`,
      label: sd.label,
      urls: { fp16: url, fp32: url },
      recommended: { width: 512, height: 512 },
    });
    const values = {
      modelId: 'sd-v1-4',
      customUrl: '',
      prompt: 'a lighthouse',
      negativePrompt: '',
      scheduler: 'pndm',
      steps: 25,
      guidanceScale: 7.5,
      eta: 0,
      timestepSpacing: '',
      seed: 1,
      width: 512,
      height: 512,
      batchCount: 1,
      vaeDecodeEvery: 0,
      preview: 'tiny',
      decoder: 'full',
      promptSyntax: 'a1111',
      mode: 'txt2img',
      strength: 0.75,
    } satisfies FormValues;
    expect(validateForm(values, undefined, needsUrl('sd-v1-4', specs)).map((e) => e.field)).toEqual(['customUrl']);
    expect(validateForm({ ...values, customUrl: url }, undefined, true)).toEqual([]);
  });

  it('a custom model without a typed URL is no model, not the page itself (which would look bundled and load)', () => {
    vi.stubGlobal('location', { href: 'https://app.example/sd/index.html' });
    try {
      expect(modelSpecFor(CUSTOM_MODEL_ID, '', specs)).toBeNull();
      expect(modelSpecFor(CUSTOM_MODEL_ID, '  ', specs)).toBeNull();
      expect(modelSpecFor(CUSTOM_MODEL_ID, 'models/x/', specs)?.urls.fp32).toBe('https://app.example/sd/models/x/');
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('only the bundled demo is served by the app itself', () => {
    expect(isBundled(specs[0], 'https://app.example/sd/index.html')).toBe(true);
    expect(isBundled(specs[1], 'https://app.example/sd/index.html')).toBe(false);
  });

  it('a preset recommends its settings', () => {
    expect(recommendedValues(specs[0])).toEqual({ scheduler: 'pndm', steps: 20, guidanceScale: 7.5, width: 128, height: 128 });
  });
});
