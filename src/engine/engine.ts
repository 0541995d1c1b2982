/**
 * The Engine contract the surfaces (app, web component, CLI) program against. `LocalEngine` runs it
 * in the current thread (the worker); `WorkerEngine` is a proxy that runs it in a web worker.
 * Everything it speaks is defined in the engine (events.ts for progress, ports.ts for what adapters implement).
 */
import type { SchedulerSettings } from './model/model-recommendation.js';
import type { SerializedError } from '../core/errors.js';
import type { BackendPreference } from './runtime/backend-choice.js';
import type { Capabilities } from './runtime/capabilities.js';
import type { Backend } from './runtime/model-fit.js';
import type { ModelGeometry } from './model/model-geometry.js';
import type { ModelSpec, Precision } from './model/model-spec.js';
import type { EngineProgress, Preview } from './events.js';
import type { StoredModelInfo } from './ports.js';
import type { GenerationRequest, ResolvedRequest } from './request/request.js';
import type { PromptSyntax } from '../core/prompt-syntax.js';
import type { Tokenized } from './text/tokenizer.js';
import type { ActiveLora } from './lora/lora-parts.js';
import type { LoraInput } from './lora/lora-inputs.js';
import type { PreviewChoice } from './preview-choice.js';

export type { SerializedError, StoredModelInfo };

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
  backend: Backend;
  /** What requests for this model must satisfy (size multiple, default size, latent channels). */
  geometry: ModelGeometry;
  /** Why `backend` is not the browser's best one (a software WebGPU adapter, a setting); null when it is. */
  backendReason: string | null;
  /** Whether the folder has vae_encoder/: without it the model does text-to-image only (model-parts.ts). */
  hasVaeEncoder: boolean;
  /** Whether the safety checker runs after every decode (the folder has one and it was not turned off). */
  safetyChecker: boolean;
  /** The sampler settings the folder recommends (LCM-distilled: LCM, 4 steps, guidance 1), or null (model-recommendation.ts). */
  recommended: SchedulerSettings | null;
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
  /** The decoded image as float32 NCHW in [0, 1] (diffusers' output_type="np"); only when asked for with `floatImage`. */
  image?: Float32Array;
}

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (progress: EngineProgress) => void;
}

export interface EngineLoadOptions extends CallOptions {
  /** Default 'auto' (backend-choice.ts: small models on wasm when WebGPU is software-only). */
  backend?: BackendPreference;
  /**
   * The request to follow starts from a picture (img2img, inpainting): a folder without vae_encoder/
   * is refused as soon as its file list is known, before its weights download or any session loads.
   */
  needsVaeEncoder?: boolean;
  /**
   * Run the folder's safety checker after every decode (default true: on whenever the folder has one,
   * downloaded only then); false only by the user's explicit choice. A flagged picture is withheld:
   * generate() rejects with NsfwContentDetectedError and returns no pixels.
   */
  safetyChecker?: boolean;
  /**
   * The request to follow, in this thread (the CLI): checked against the folder's rules and the backend's
   * memory as soon as the folder's configs are read, before any session loads (not sent to a worker).
   */
  request?: GenerationRequest;
  /** LoRAs merged into the text encoder and UNet (lora/lora-parts.ts); a loaded model re-makes only the sessions they change. In this thread only. */
  loras?: readonly ActiveLora[];
  /**
   * LoRA files for a WorkerEngine (lora/lora-inputs.ts): their bytes and weights go to the worker with the
   * load, where they are read and merged as `loras`; none (or []) there: the base model. Not read by LocalEngine.
   */
  loraFiles?: readonly LoraInput[];
}

export interface GenerateCallOptions extends CallOptions, PreviewOptions {
  onPreview?: (preview: Preview) => void;
  /** Also return the float32 image (ImageResult.image; the CLI's --raw). In this thread only: WorkerEngine does not send it. */
  floatImage?: boolean;
}

export interface Engine {
  capabilities(): Promise<Capabilities>;
  load(spec: ModelSpec, options?: EngineLoadOptions): Promise<LoadedModel>;
  generate(request: GenerationRequest, options?: GenerateCallOptions): Promise<ImageResult>;
  /** The prompt's tokens as the counter shows them, in `syntax` (default plain). */
  tokenize(text: string, syntax?: PromptSyntax): Promise<Tokenized>;
  listModels(): Promise<StoredModelInfo[]>;
  deleteModel(id: string): Promise<void>;
  dispose(): Promise<void>;
}
