/** The element's one-line status for each progress report, in plain words. */
import type { EngineProgress } from '../engine/events.js';

const MB = 1024 * 1024;

/** The status line for a progress report. */
export function statusText(progress: EngineProgress): string {
  switch (progress.stage) {
    case 'download':
      return progress.total > 0
        ? `Downloading the model: ${(progress.loaded / MB).toFixed(1)} of ${(progress.total / MB).toFixed(1)} MB`
        : `Downloading the model: ${(progress.loaded / MB).toFixed(1)} MB`;
    case 'retry':
      return `Connection problem; retrying (${progress.attempt} of ${progress.maxAttempts})…`;
    case 'verify':
      return 'Checking the download…';
    case 'repair':
      return 'Repairing the stored weights…';
    case 'done':
      return progress.fromCache ? 'Model found on this device.' : 'Model downloaded and stored on this device.';
    case 'load':
      return `Loading the model (${progress.index + 1} of ${progress.count})…`;
    case 'encode':
      return 'Reading the prompt…';
    case 'denoise':
      return `Step ${progress.step} of ${progress.totalSteps}`;
    case 'decode':
      return 'Decoding the picture…';
    default: {
      const unknown: never = progress;
      return String(unknown);
    }
  }
}
