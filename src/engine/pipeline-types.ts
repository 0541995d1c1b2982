/**
 * The StableDiffusionPipeline's own contract types (pipeline.ts): how it makes its sessions
 * (PipelineLoadOptions), what a generation reports as it runs (GenerateOptions) and what it returns
 * (GenerationResult, with the resolved request that reproduces it, as diffusers' pipeline output plus timings).
 */
import type { ModelPart } from './model/model-folder.js';
import type { ModelGeometry } from './model/model-geometry.js';
import type { OrtSessionOptions } from './runtime/ort.js';
import type { ActiveLora } from './lora/lora-parts.js';
import type { ResolvedRequest } from './request/request.js';
import type { GenerationProgress, LoadProgress, StepProgress } from './events.js';

/** How the pipeline makes its ONNX sessions (the Engine's load options are EngineLoadOptions, engine.ts). */
export interface PipelineLoadOptions {
  executionProviders: OrtSessionOptions['executionProviders'];
  /** Extra ORT session options per part (e.g. freeDimensionOverrides for the UNet). */
  sessionOptions?: Partial<Record<ModelPart, Partial<OrtSessionOptions>>>;
  /** Keep per-generation UNet inputs in GPU memory; default: on with WebGPU (false: measure without). */
  gpuResidentInputs?: boolean;
  /**
   * Run the folder's safety checker (safety_checker/ + feature_extractor/) after every decode, as diffusers
   * does: default true when the folder has one; false only by the user's explicit choice.
   */
  safetyChecker?: boolean;
  /** LoRAs merged into the text encoder and UNet before their sessions are made (lora/lora-parts.ts); change them with setLoras. */
  loras?: readonly ActiveLora[];
  onProgress?: (progress: LoadProgress) => void;
  /** Called with the folder's rules as soon as its configs are read, before any session is made: throw to refuse. */
  checkFolder?: (geometry: ModelGeometry) => void;
}

export interface GenerateOptions {
  /** Each stage as it starts (denoise: after each sampler step). */
  onProgress?: (progress: GenerationProgress) => void;
  /** After each sampler step, with its latents (previews); awaited. */
  onStep?: (progress: StepProgress) => void | Promise<void>;
  signal?: AbortSignal;
}

export interface GenerationResult {
  width: number;
  height: number;
  /** RGBA8, what a canvas or PNG takes. */
  rgba: Uint8ClampedArray;
  /** The decoded image as float32 NCHW in [0, 1] (diffusers' output_type="np", before quantisation). */
  image: Float32Array;
  /** The latents after the last step, (1, C, h, w). */
  latents: Float32Array;
  /** What was generated, defaults filled in: with `model`, what reproduces it. */
  request: ResolvedRequest;
  model: string;
  /** stepMs: one per UNet call (PNDM's repeated first step and Heun's two calls a step each count). */
  timings: { textEncoderMs: number; denoiseMs: number; stepMs: number[]; vaeDecodeMs: number; totalMs: number };
}
