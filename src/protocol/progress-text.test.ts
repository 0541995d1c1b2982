import { describe, expect, it } from 'vitest';
import { formatDuration, formatProgress, formatRate } from './progress-text.js';

describe('formatProgress', () => {
  it('download: bytes of total, rate and time left', () => {
    const view = formatProgress({
      stage: 'download',
      id: 'm',
      file: 'unet/weights.pb',
      fileLoaded: 1,
      fileTotal: 2,
      loaded: 5 * 1024 * 1024,
      total: 20 * 1024 * 1024,
      bytesPerSecond: 2.5 * 1024 * 1024,
      etaSeconds: 6,
    });
    expect(view).toMatchObject({ text: 'Downloading unet/weights.pb: 5.00 MiB of 20.0 MiB, 2.50 MiB/s, 6 s left', fraction: 0.25 });
  });

  it('download with unknown total: indeterminate', () => {
    expect(
      formatProgress({ stage: 'download', id: 'm', file: 'a', fileLoaded: 0, fileTotal: 0, loaded: 100, total: 0, bytesPerSecond: 0, etaSeconds: null })
        .fraction,
    ).toBeNull();
  });

  it('retries, checks, repairs and the end of the download', () => {
    expect(formatProgress({ stage: 'retry', id: 'm', file: 'unet/weights.pb', attempt: 2, maxAttempts: 5, delayMs: 2000, reason: 'network error' }).text).toBe(
      'The download of unet/weights.pb was interrupted (network error); retrying in 2 s (attempt 2 of 5)',
    );
    expect(formatProgress({ stage: 'verify', id: 'm', file: 'unet/weights.pb', fileLoaded: 1, fileTotal: 4, loaded: 3, total: 4 })).toMatchObject({
      text: 'Checking unet/weights.pb',
      fraction: 0.75,
    });
    expect(formatProgress({ stage: 'repair', id: 'm', file: 'unet/weights.pb', chunk: 3 }).text).toBe('Downloading again a damaged part of unet/weights.pb');
    expect(formatProgress({ stage: 'done', id: 'm', total: 1024, fromCache: true }).text).toBe("Model files found in this browser's storage.");
    expect(formatProgress({ stage: 'done', id: 'm', total: 2048, fromCache: false }).text).toBe('Downloaded 2.00 KiB.');
  });

  it('loading names the part', () => {
    expect(formatProgress({ stage: 'load', part: 'unet', index: 2, count: 4 })).toMatchObject({ text: 'Loading the model: UNet (3 of 4)', fraction: 0.5 });
  });

  it('denoising: step, it/s (or s/it when slow), ETA and the image of a batch', () => {
    expect(formatProgress({ stage: 'denoise', step: 5, totalSteps: 20, itPerSecond: 2.5, etaSeconds: 6 }, { index: 1, count: 3 })).toEqual({
      text: 'Step 5 of 20 (image 2 of 3), 2.50 it/s; 6 s left',
      fraction: 0.25,
      step: 5,
      total: 20,
    });
    expect(formatProgress({ stage: 'denoise', step: 1, totalSteps: 4, itPerSecond: 0.25, etaSeconds: 12 }).text).toBe('Step 1 of 4, 4.00 s/it; 12 s left');
    expect(formatProgress({ stage: 'denoise', step: 4, totalSteps: 4, itPerSecond: 0.25, etaSeconds: 0 }).text).toBe(
      'Step 4 of 4, 4.00 s/it; decoding the image…',
    );
  });

  it('formats durations and rates', () => {
    expect(formatDuration(null)).toBe('…');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(3725)).toBe('1 h 2 min');
    expect(formatRate(0)).toBe('… it/s');
  });
});
