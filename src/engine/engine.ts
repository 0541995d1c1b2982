/**
 * The Engine contract the surfaces (app, web component, CLI) program against. `LocalEngine` runs it
 * in the current thread (the worker); `WorkerEngine` is a proxy that runs it in a web worker.
 */
import type { SerializedError } from '../core/errors.js';
import type { GenerationParameters } from '../core/parameters.js';
import type { StoredModel } from '../store/records.js';
import type { StoreProgress } from '../store/progress.js';
import type { Capabilities } from './capabilities.js';
import type { ModelSpec, Precision } from './model-spec.js';
import type { LoadProgress } from './pipeline.js';
import type { GenerationRequest } from './request.js';
import type { Tokenized } from './tokenizer.js';

export type { SerializedError };

/** Weight-store stages (download, retry, verify, repair, done), then model loading, denoising, decoding. */
export type EngineProgress =
  | StoreProgress
  | LoadProgress
  | { stage: 'denoise'; step: number; totalSteps: number; itPerSecond: number; etaSeconds: number }
  | { stage: 'decode' };

export interface Preview {
  step: number;
  totalSteps: number;
  /** 'latent': cheap linear projection at latent resolution; 'vae': a full decode. */
  kind: 'latent' | 'vae';
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

export interface PreviewOptions {
  /** Post a latent preview every N steps (0: none). Default 1. */
  previewEvery?: number;
  /** Also decode with the VAE every N steps (0: never). Default 0. */
  vaeDecodeEvery?: number;
}

export interface LoadedModel {
  id: string;
  name: string;
  precision: Precision;
  backend: 'webgpu' | 'wasm';
  defaultWidth: number;
  defaultHeight: number;
}

export interface ImageResult {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
  /** PNG bytes with the A1111 `parameters` text chunk. */
  png: Uint8Array;
  parameters: GenerationParameters;
  timings: { textEncoderMs: number; denoiseMs: number; vaeDecodeMs: number; totalMs: number; stepMs: number[] };
}

export type StoredModelInfo = StoredModel;

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (progress: EngineProgress) => void;
}

export interface GenerateCallOptions extends CallOptions, PreviewOptions {
  onPreview?: (preview: Preview) => void;
}

export interface Engine {
  capabilities(): Promise<Capabilities>;
  load(spec: ModelSpec, options?: CallOptions): Promise<LoadedModel>;
  generate(request: GenerationRequest, options?: GenerateCallOptions): Promise<ImageResult>;
  tokenize(text: string): Promise<Tokenized>;
  listModels(): Promise<StoredModelInfo[]>;
  deleteModel(id: string): Promise<void>;
  dispose(): Promise<void>;
}
