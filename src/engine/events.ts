/**
 * Every progress type the engine reports, in one place: getting a model's files (DownloadProgress, from
 * the ModelStore), making its sessions (LoadProgress), one generation's stages (GenerationProgress) and
 * sampler steps (StepProgress, with latents), what the Engine contract forwards (EngineProgress) and its
 * previews (Preview). The contract (engine.ts), the pipeline, the ports and the worker protocol import them here.
 */
import type { ModelPart } from './model/model-folder.js';

/** Progress of getting a model's files onto this device, as a typed union (tag: `stage`). */
export type DownloadProgress =
  | {
      stage: 'download';
      id: string;
      file: string;
      fileLoaded: number;
      /** 0 when the server did not say. */
      fileTotal: number;
      loaded: number;
      /** 0 when some file's size is unknown (no manifest, no Content-Length). */
      total: number;
      bytesPerSecond: number;
      etaSeconds: number | null;
    }
  | { stage: 'retry'; id: string; file: string; attempt: number; maxAttempts: number; delayMs: number; reason: string }
  | { stage: 'verify'; id: string; file: string; fileLoaded: number; fileTotal: number; loaded: number; total: number }
  | { stage: 'repair'; id: string; file: string; chunk: number }
  | { stage: 'done'; id: string; total: number; fromCache: boolean };

export type LoadProgress = { stage: 'load'; part: ModelPart | 'tokenizer'; index: number; count: number };

/**
 * The stages of one generation, as the pipeline enters them. denoise: after each sampler step, step k of
 * totalSteps N as diffusers' progress bar counts them (core/schedulers/progress.ts): N = the steps that run
 * (img2img: after strength), not the UNet calls (PNDM 20 steps: 21 calls; Heun 10: 19 calls).
 */
export type GenerationProgress = { stage: 'encode' } | { stage: 'denoise'; step: number; totalSteps: number } | { stage: 'decode' };

/** One completed sampler step (the same k of N as GenerationProgress's denoise). */
export interface StepProgress {
  step: number; // 1-based
  totalSteps: number;
  /** The timestep of the UNet call that completed the step. */
  timestep: number;
  /** The latents after this step, (1, C, h, w). */
  latents: Float32Array;
  latentWidth: number;
  latentHeight: number;
}

/**
 * Download stages (download, retry, verify, repair, done), then model loading, encoding, each denoising
 * step, decoding. denoise counts sampler steps as diffusers' progress bar does (step k of N, N = the steps
 * that run), not UNet calls; itPerSecond is sampler steps per second.
 */
export type EngineProgress =
  | DownloadProgress
  | LoadProgress
  | Exclude<GenerationProgress, { stage: 'denoise' }>
  | (Extract<GenerationProgress, { stage: 'denoise' }> & { itPerSecond: number; etaSeconds: number });

/** The latents after a completed sampler step (one per step, as A1111's live previews): the same k of N as the denoise progress before it. */
export interface Preview {
  step: number;
  totalSteps: number;
  /** 'latent': cheap linear projection at latent resolution; 'tiny': the tiny autoencoder's full-size decode; 'vae': a full decode. */
  kind: 'latent' | 'tiny' | 'vae';
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}
