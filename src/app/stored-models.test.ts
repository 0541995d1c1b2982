import { describe, expect, it } from 'vitest';
import type { StoredModelInfo } from '../engine/ports.js';
import { deleteQuestion, describeStorageEstimate, describeStoredModel, summariseStoredModels, totalStoredBytes } from './stored-models.js';

const MiB = 1024 * 1024;

function model(overrides: Partial<StoredModelInfo> = {}): StoredModelInfo {
  return {
    id: 'https://example.test/models/shapes-sd-fp32/',
    name: 'shapes-sd-fp32',
    url: 'https://example.test/models/shapes-sd-fp32/',
    complete: true,
    sizeBytes: 32_246_366,
    totalBytes: 32_246_366,
    files: [],
    createdAt: 0,
    ...overrides,
  };
}

describe('describeStoredModel', () => {
  it('a complete model: its size, and whether it is in use', () => {
    expect(describeStoredModel(model())).toEqual({
      name: 'shapes-sd-fp32',
      url: 'https://example.test/models/shapes-sd-fp32/',
      size: '30.8 MiB',
      status: 'Complete',
      complete: true,
    });
    expect(describeStoredModel(model(), true).status).toBe('Complete, in use');
  });

  it('a partial download: bytes of total and that it resumes', () => {
    const view = describeStoredModel(model({ complete: false, sizeBytes: 800 * MiB, totalBytes: 2048 * MiB }));
    expect(view.size).toBe('800.0 MiB of 2.00 GiB (39%)');
    expect(view.status).toBe('Partly downloaded: the rest downloads the next time it loads');
    expect(describeStoredModel(model({ complete: false, sizeBytes: 5 * MiB, totalBytes: null })).size).toBe('5.00 MiB so far');
  });
});

describe('totalStoredBytes', () => {
  it('sums complete and partial models', () => {
    expect(totalStoredBytes([model({ sizeBytes: 10 }), model({ sizeBytes: 5, complete: false })])).toBe(15);
    expect(totalStoredBytes([])).toBe(0);
  });

  it('summarised in one sentence', () => {
    expect(summariseStoredModels([])).toBe('No models stored yet.');
    expect(summariseStoredModels([model()])).toBe('1 model stored, 30.8 MiB.');
    expect(summariseStoredModels([model(), model({ sizeBytes: 2 * MiB, complete: false })])).toBe('2 models stored, 32.8 MiB.');
  });
});

describe('describeStorageEstimate', () => {
  it('used and still available', () => {
    expect(describeStorageEstimate({ usage: 31 * MiB, quota: 10 * 1024 * MiB })).toBe(
      'The browser reports 31.0 MiB used by this site, 9.97 GiB more available.',
    );
  });

  it('no quota, or no numbers at all', () => {
    expect(describeStorageEstimate({ usage: 2 * MiB })).toBe('The browser reports 2.00 MiB used by this site.');
    expect(describeStorageEstimate({})).toBeNull();
    expect(describeStorageEstimate(null)).toBeNull();
  });

  it('never reports negative room', () => {
    expect(describeStorageEstimate({ usage: 2048, quota: 1024 })).toBe('The browser reports 2.00 KiB used by this site, 0 B more available.');
  });
});

describe('deleteQuestion', () => {
  it('names the model and its size, and says what happens to the one in use', () => {
    expect(deleteQuestion(model(), false)).toBe("Delete shapes-sd-fp32 (30.8 MiB) from this browser's storage? Loading it again downloads it again.");
    expect(deleteQuestion(model(), true)).toBe(
      "Delete shapes-sd-fp32 (30.8 MiB) from this browser's storage? It is in use and stays loaded until you reload the page or switch models; loading it after that downloads it again.",
    );
  });
});
