import { describe, expect, it } from 'vitest';
import type { EngineProgress } from '../engine/events.js';
import { progressDetail, sdEvent } from './events.js';
import { formatProgress } from '../protocol/progress-text.js';

const cases: [EngineProgress, number, number, RegExp][] = [
  [
    {
      stage: 'download',
      id: 'm',
      file: 'unet/model.onnx',
      fileLoaded: 5,
      fileTotal: 10,
      loaded: 3 * 1048576,
      total: 32 * 1048576,
      bytesPerSecond: 1,
      etaSeconds: 1,
    },
    3 * 1048576,
    32 * 1048576,
    /Downloading unet\/model\.onnx: 3\.00 MiB of 32\.0 MiB/,
  ],
  [{ stage: 'retry', id: 'm', file: 'f', attempt: 2, maxAttempts: 5, delayMs: 500, reason: 'x' }, 2, 5, /attempt 2 of 5/],
  [{ stage: 'verify', id: 'm', file: 'f', fileLoaded: 1, fileTotal: 2, loaded: 7, total: 9 }, 7, 9, /Checking/],
  [{ stage: 'repair', id: 'm', file: 'f', chunk: 3 }, 3, 0, /Downloading again a damaged part/],
  [{ stage: 'done', id: 'm', total: 99, fromCache: true }, 99, 99, /found in this browser's storage/],
  [{ stage: 'load', part: 'unet', index: 2, count: 4 }, 2, 4, /Loading the model: UNet \(3 of 4\)/],
  [{ stage: 'denoise', step: 3, totalSteps: 20, itPerSecond: 1, etaSeconds: 17 }, 3, 20, /Step 3 of 20/],
  [{ stage: 'decode' }, 0, 1, /Decoding/],
];

describe('progress', () => {
  it.each(cases)('flattens %j to stage/step/total and a status line', (progress, step, total, text) => {
    expect(progressDetail(progress)).toEqual({ stage: progress.stage, step, total, progress });
    expect(formatProgress(progress).text).toMatch(text);
  });
});

describe('sdEvent', () => {
  it('bubbles and is composed, so it leaves shadow roots', () => {
    const event = sdEvent('sd-error', { name: 'NetworkError', message: 'offline' });
    expect(event.type).toBe('sd-error');
    expect(event.bubbles).toBe(true);
    expect(event.composed).toBe(true);
    expect(event.detail).toEqual({ name: 'NetworkError', message: 'offline' });
  });
});
