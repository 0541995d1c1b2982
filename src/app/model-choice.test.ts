import { describe, expect, it } from 'vitest';
import { presets } from '../presets/presets.js';
import { CUSTOM_MODEL_ID } from './form-values.js';
import { isBundled, modelSpecFor, recommendedValues } from './model-choice.js';

const specs = presets('https://app.example/sd/');

describe('model choice', () => {
  it('finds presets and builds a spec for a typed folder URL', () => {
    expect(modelSpecFor('shapes-sd', '', specs)?.urls.fp32).toBe('https://app.example/sd/models/shapes-sd-fp32/');
    expect(modelSpecFor(CUSTOM_MODEL_ID, 'https://huggingface.co/org/repo', specs)).toEqual({
      id: 'custom:https://huggingface.co/org/repo/resolve/main/',
      label: 'org/repo',
      urls: { fp32: 'https://huggingface.co/org/repo/resolve/main/' },
    });
    expect(modelSpecFor(CUSTOM_MODEL_ID, 'not a url', specs)).toBeNull();
  });

  it('only the bundled demo is served by the app itself', () => {
    expect(isBundled(specs[0], 'https://app.example/sd/index.html')).toBe(true);
    expect(isBundled(specs[1], 'https://app.example/sd/index.html')).toBe(false);
  });

  it('a preset recommends its settings', () => {
    expect(recommendedValues(specs[0])).toEqual({ scheduler: 'pndm', steps: 20, guidanceScale: 7.5, width: 128, height: 128 });
  });
});
