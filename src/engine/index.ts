/**
 * The engine's public API, the package's 'sd-web/engine': the txt2img pipeline and the Engine
 * contract, platform-neutral. The ONNX runtime is injected (an OrtModule): in Node 'sd-web/node'
 * gives onnxruntime-web's wasm backend or onnxruntime-node; in a browser pass `onnxruntime-web/webgpu`.
 *
 *   const pipeline = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource(dir), { executionProviders: ['wasm'] });
 *   const { rgba, width, height, request } = await pipeline.generate({ prompt: 'a red circle', seed: 1 });
 */
export { StableDiffusionPipeline } from './pipeline.js';
export type { GenerateOptions, GenerationResult, PipelineLoadOptions } from './pipeline-types.js';
export type { CallOptions, Engine, EngineLoadOptions, GenerateCallOptions, ImageResult, LoadedModel, PreviewOptions } from './engine.js';
export type { DownloadProgress, EngineProgress, GenerationProgress, LoadProgress, Preview, StepProgress } from './events.js';
export { LocalEngine, type LocalEngineOptions } from './local-engine.js';
export { PREVIEW_CHOICES, type PreviewChoice } from './preview-choice.js';
export type { ModelStore, StoredModelInfo } from './ports.js';
export {
  DECODERS,
  DEFAULTS,
  LIMITS,
  MAX_SEED,
  RANDOM_SEED,
  nearestSizes,
  resolveRequest,
  validateRequest,
  type Decoder,
  type GenerationRequest,
  type RequestField,
  type RequestFieldError,
  type ResolvedRequest,
} from './request/request.js';
export { ANY_SD_V1_GEOMETRY, SD_V1_GEOMETRY, type ModelGeometry } from './model/model-geometry.js';
export { folderGeometry, openModelFolder } from './model/model-folder.js';
export { batchSeeds, randomSeed, resolveSeed } from './request/seed.js';
export { encodeImagePng, infotextParameters } from './request/png-file.js';
export type { ModelSource } from './model/model-source.js';
export type { ModelSpec, Precision } from './model/model-spec.js';
export type { OrtModule } from './runtime/ort.js';
export { ClipTokenizer, type Tokenized } from './text/tokenizer.js';
export type { ActiveLora } from './lora/lora-parts.js';
export { LoraError, readLoraFile, type LoraFile } from '../core/lora/lora-file.js';
export { extractLoraTags } from '../core/lora/lora-prompt.js';
export { loraHashesValue, loraShortHash } from '../core/lora/lora-hash.js';
export { detectCapabilities, type Capabilities } from './runtime/capabilities.js';
export { isSchedulerName, SCHEDULER_NAMES, type SchedulerName } from '../core/schedulers/index.js';
export { encodePng, readPngTextChunks } from '../core/png.js';
export { formatParameters, parseParameters, type GenerationParameters } from '../core/parameters.js';
export {
  CancelledError,
  IntegrityError,
  InvalidRequestError,
  ModelFileMissingError,
  ModelFormatError,
  NetworkError,
  NonFiniteOutputError,
  QuotaExceededError,
  SdError,
  WebGpuUnavailableError,
} from '../core/errors.js';
