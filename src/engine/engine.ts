/**
 * The Engine contract the surfaces (app, web component, CLI) program against. `LocalEngine` runs it
 * in the current thread (the worker); `WorkerEngine` is a proxy that runs it in a web worker.
 * Everything it speaks is defined in the engine (ports.ts for what adapters implement).
 */
import type { SerializedError } from '../core/errors.js';
import type { BackendPreference } from './runtime/backend-choice.js';
import type { Capabilities } from './runtime/capabilities.js';
import type { ModelGeometry } from './model/model-geometry.js';
import type { ModelSpec, Precision } from './model/model-spec.js';
import type { GenerationProgress, LoadProgress } from './pipeline.js';
import type { DownloadProgress, StoredModelInfo } from './ports.js';
import type { GenerationRequest, ResolvedRequest } from './request/request.js';
import type { PromptSyntax } from '../core/prompt-syntax.js';
import type { Tokenized } from './text/tokenizer.js';
import type { PreviewChoice } from './preview-choice.js';

export type { SerializedError, StoredModelInfo };

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

export interface PreviewOptions {
  /** Post a preview every N sampler steps (0: none). Default 1. */
  previewEvery?: number;
  /** Which preview (preview-choice.ts): 'tiny' (default: the tiny decoder's picture when the model has taesd_decoder/, else 'latent'), 'latent', 'none'. */
  preview?: PreviewChoice;
  /** The share of the loop's time tiny previews may take (preview-choice.ts; default 0.1; Infinity: every step). */
  previewBudget?: number;
  /** Also decode with the VAE every N sampler steps (0: never; never the last, the result follows). Default 0. */
  vaeDecodeEvery?: number;
}

export interface LoadedModel {
  id: string;
  name: string;
  /** The folder's URL as the weight store keys it. */
  url: string;
  /** What the folder's graphs compute in (not what the spec asked for: a folder typed by URL may be either). */
  precision: Precision;
  backend: 'webgpu' | 'wasm';
  /** What requests for this model must satisfy (size multiple, default size, latent channels). */
  geometry: ModelGeometry;
  /** Why `backend` is not the browser's best one (a software WebGPU adapter, a setting); null when it is. */
  backendReason: string | null;
  /** Whether the folder has vae_encoder/: without it the model does text-to-image only (model-parts.ts). */
  hasVaeEncoder: boolean;
}

export interface ImageResult {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
  /** PNG bytes with the A1111 `parameters` text chunk. */
  png: Uint8Array;
  /** What was generated, every default filled in: with `model`, what reproduces it. */
  request: ResolvedRequest;
  /** The model's name (its folder). */
  model: string;
  timings: { textEncoderMs: number; denoiseMs: number; vaeDecodeMs: number; totalMs: number; stepMs: number[] };
}

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (progress: EngineProgress) => void;
}

export interface LoadOptions extends CallOptions {
  /** Default 'auto' (backend-choice.ts: small models on wasm when WebGPU is software-only). */
  backend?: BackendPreference;
  /**
   * The request to follow starts from a picture (img2img, inpainting): a folder without vae_encoder/
   * is refused as soon as its file list is known, before its weights download or any session loads.
   */
  needsVaeEncoder?: boolean;
}

export interface GenerateCallOptions extends CallOptions, PreviewOptions {
  onPreview?: (preview: Preview) => void;
}

export interface Engine {
  capabilities(): Promise<Capabilities>;
  load(spec: ModelSpec, options?: LoadOptions): Promise<LoadedModel>;
  generate(request: GenerationRequest, options?: GenerateCallOptions): Promise<ImageResult>;
  /** The prompt's tokens as the counter shows them, in `syntax` (default plain). */
  tokenize(text: string, syntax?: PromptSyntax): Promise<Tokenized>;
  listModels(): Promise<StoredModelInfo[]>;
  deleteModel(id: string): Promise<void>;
  dispose(): Promise<void>;
}
