/**
 * The page <-> worker protocol: a discriminated union whose payload follows its tag. Every request
 * carries an id; the worker answers with any number of `progress` / `preview` events for that id,
 * then exactly one `result` or `error`. Errors cross as {name, message} and are rebuilt as the same
 * classes (core/errors.ts). Pixel buffers are transferred, not copied.
 */
import type { SerializedError } from '../core/errors.js';
import type { BackendPreference } from '../engine/runtime/backend-choice.js';
import type { Capabilities } from '../engine/runtime/capabilities.js';
import type { GenerateCallOptions, ImageResult, LoadedModel, PreviewOptions, StoredModelInfo } from '../engine/engine.js';
import type { EngineProgress, Preview } from '../engine/events.js';
import type { ModelSpec } from '../engine/model/model-spec.js';
import type { LoraWire } from '../engine/lora/lora-inputs.js';
import type { GenerationRequest } from '../engine/request/request.js';
import type { PromptSyntax } from '../core/prompt-syntax.js';
import type { Tokenized } from '../engine/text/tokenizer.js';

export type RequestBody =
  | { type: 'capabilities' }
  | { type: 'load'; spec: ModelSpec; backend: BackendPreference; needsVaeEncoder: boolean; safetyChecker: boolean; loras: LoraWire[] }
  | { type: 'generate'; request: GenerationRequest; options: PreviewOptions }
  | { type: 'tokenize'; text: string; syntax: PromptSyntax }
  | { type: 'list-models' }
  | { type: 'delete-model'; modelId: string }
  | { type: 'cancel'; target: number };

/** What each request resolves to. */
export interface ResultMap {
  capabilities: Capabilities;
  load: LoadedModel;
  generate: ImageResult;
  tokenize: Tokenized;
  'list-models': StoredModelInfo[];
  'delete-model': null;
  cancel: null;
}

export type RequestType = RequestBody['type'];
export type ToWorker = RequestBody & { id: number };

export type FromWorker =
  | { id: number; type: 'progress'; progress: EngineProgress }
  | { id: number; type: 'preview'; preview: Preview }
  | { id: number; type: 'result'; result: ResultMap[RequestType] }
  | { id: number; type: 'error'; error: SerializedError };

export type { GenerateCallOptions };
