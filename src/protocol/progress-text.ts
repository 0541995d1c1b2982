/**
 * EngineProgress as the surfaces show it, in one place for the app and the element: one sentence
 * (the weight store's download with bytes in KiB/MiB/GiB, rate and ETA; retries, checks and repairs;
 * model loading, part i of n; denoising, step, it/s and ETA; decode), a fraction for a <progress> bar,
 * and the stage's own step / total numbers (the element's sd-progress detail).
 */
import type { EngineProgress } from '../engine/events.js';
import { formatBytes } from '../core/format-bytes.js';

export interface ProgressView {
  text: string;
  /** 0..1, or null for an indeterminate bar. */
  fraction: number | null;
  /** The stage's own count: bytes of the download or check, attempt of the retries, part of the load, sampler step. */
  step: number;
  total: number;
}

const PART_NAMES: Record<string, string> = {
  tokenizer: 'tokenizer',
  text_encoder: 'text encoder',
  unet: 'UNet',
  vae_decoder: 'VAE decoder',
  vae_encoder: 'VAE encoder',
};

/** "4 s", "2 min 5 s", "1 h 3 min"; "…" when unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '…';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** it/s below 1 reads better as s/it, as A1111 shows it. */
export function formatRate(itPerSecond: number): string {
  if (!Number.isFinite(itPerSecond) || itPerSecond <= 0) return '… it/s';
  return itPerSecond >= 1 ? `${itPerSecond.toFixed(2)} it/s` : `${(1 / itPerSecond).toFixed(2)} s/it`;
}

export function formatProgress(progress: EngineProgress, batch?: { index: number; count: number }): ProgressView {
  const [step, total] = progressCount(progress);
  return { ...progressWords(progress, batch), step, total };
}

/** The stage's own step / total. */
function progressCount(progress: EngineProgress): [number, number] {
  switch (progress.stage) {
    case 'download':
    case 'verify':
      return [progress.loaded, progress.total];
    case 'retry':
      return [progress.attempt, progress.maxAttempts];
    case 'repair':
      return [progress.chunk, 0];
    case 'done':
      return [progress.total, progress.total];
    case 'load':
      return [progress.index, progress.count];
    case 'denoise':
      return [progress.step, progress.totalSteps];
    case 'encode':
    case 'decode':
      return [0, 1];
    default: {
      const unknown: never = progress;
      throw new Error(`Unknown progress ${JSON.stringify(unknown)}`);
    }
  }
}

function progressWords(progress: EngineProgress, batch?: { index: number; count: number }): Omit<ProgressView, 'step' | 'total'> {
  const ofBatch = batch && batch.count > 1 ? ` (image ${batch.index + 1} of ${batch.count})` : '';
  switch (progress.stage) {
    case 'download': {
      const total = progress.total > 0 ? ` of ${formatBytes(progress.total)}` : '';
      return {
        text: `Downloading ${progress.file}: ${formatBytes(progress.loaded)}${total}, ${formatBytes(Math.round(progress.bytesPerSecond))}/s, ${formatDuration(progress.etaSeconds)} left`,
        fraction: progress.total > 0 ? progress.loaded / progress.total : null,
      };
    }
    case 'retry':
      return {
        text: `The download of ${progress.file} was interrupted (${progress.reason}); retrying in ${formatDuration(progress.delayMs / 1000)} (attempt ${progress.attempt} of ${progress.maxAttempts})`,
        fraction: null,
      };
    case 'verify':
      return { text: `Checking ${progress.file}`, fraction: progress.total > 0 ? progress.loaded / progress.total : null };
    case 'repair':
      return { text: `Downloading again a damaged part of ${progress.file}`, fraction: null };
    case 'done':
      return { text: progress.fromCache ? "Model files found in this browser's storage." : `Downloaded ${formatBytes(progress.total)}.`, fraction: 1 };
    case 'load':
      return {
        text: `Loading the model: ${PART_NAMES[progress.part] ?? progress.part} (${progress.index + 1} of ${progress.count})`,
        fraction: progress.index / progress.count,
      };
    case 'encode':
      return { text: `Reading the prompt${ofBatch}`, fraction: 0 };
    case 'denoise': {
      const rate = `Step ${progress.step} of ${progress.totalSteps}${ofBatch}, ${formatRate(progress.itPerSecond)}`;
      const after = progress.step === progress.totalSteps ? 'decoding the image…' : `${formatDuration(progress.etaSeconds)} left`;
      return { text: `${rate}; ${after}`, fraction: progress.step / progress.totalSteps };
    }
    case 'decode':
      return { text: `Decoding the image${ofBatch}`, fraction: 1 };
    default: {
      const unknown: never = progress;
      return { text: String((unknown as { stage: string }).stage), fraction: null };
    }
  }
}
