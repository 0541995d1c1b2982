/**
 * Page side: an Engine that forwards every call to a web worker (web-llm's WebWorkerEngine shape).
 * Many callers (the app, several <sd-text-to-image> elements) can share one WorkerEngine.
 */
import { CancelledError, errorFromJSON } from '../core/errors.js';
import type { Capabilities } from '../engine/runtime/capabilities.js';
import type { Engine, LoadOptions, EngineProgress, GenerateCallOptions, ImageResult, LoadedModel, Preview, StoredModelInfo } from '../engine/engine.js';
import type { ModelSpec } from '../engine/model/model-spec.js';
import type { GenerationRequest } from '../engine/request/request.js';
import type { PromptSyntax } from '../core/prompt-syntax.js';
import type { Tokenized } from '../engine/text/tokenizer.js';
import type { FromWorker, RequestBody, ResultMap, ToWorker } from './messages.js';

interface WorkerLike {
  postMessage(message: ToWorker): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<FromWorker>) => void): void;
  terminate(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: (progress: EngineProgress) => void;
  onPreview?: (preview: Preview) => void;
}

export class WorkerEngine implements Engine {
  #worker: WorkerLike;
  #nextId = 1;
  #pending = new Map<number, Pending>();

  constructor(worker: WorkerLike) {
    this.#worker = worker;
    worker.addEventListener('message', (event) => this.#receive(event.data));
  }

  #receive(message: FromWorker): void {
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    switch (message.type) {
      case 'progress':
        pending.onProgress?.(message.progress);
        break;
      case 'preview':
        pending.onPreview?.(message.preview);
        break;
      case 'result':
        this.#pending.delete(message.id);
        pending.resolve(message.result);
        break;
      case 'error':
        this.#pending.delete(message.id);
        pending.reject(errorFromJSON(message.error));
        break;
      default: {
        const unknown: never = message;
        throw new Error(`Unknown message ${JSON.stringify(unknown)}`);
      }
    }
  }

  #call<T extends RequestBody>(body: T, options: { signal?: AbortSignal } & Omit<Pending, 'resolve' | 'reject'> = {}): Promise<ResultMap[T['type']]> {
    const id = this.#nextId++;
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new CancelledError());
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, onProgress: options.onProgress, onPreview: options.onPreview });
      signal?.addEventListener('abort', () => this.#worker.postMessage({ id: this.#nextId++, type: 'cancel', target: id }), { once: true });
      this.#worker.postMessage({ ...body, id } as ToWorker);
    });
  }

  capabilities(): Promise<Capabilities> {
    return this.#call({ type: 'capabilities' });
  }

  load(spec: ModelSpec, options: LoadOptions = {}): Promise<LoadedModel> {
    return this.#call({ type: 'load', spec, backend: options.backend ?? 'auto', needsVaeEncoder: options.needsVaeEncoder ?? false }, options);
  }

  generate(request: GenerationRequest, options: GenerateCallOptions = {}): Promise<ImageResult> {
    const { previewEvery, vaeDecodeEvery, preview, previewBudget, ...rest } = options;
    return this.#call({ type: 'generate', request, options: { previewEvery, vaeDecodeEvery, preview, previewBudget } }, rest);
  }

  tokenize(text: string, syntax: PromptSyntax = 'plain'): Promise<Tokenized> {
    return this.#call({ type: 'tokenize', text, syntax });
  }

  listModels(): Promise<StoredModelInfo[]> {
    return this.#call({ type: 'list-models' });
  }

  async deleteModel(modelId: string): Promise<void> {
    await this.#call({ type: 'delete-model', modelId });
  }

  async dispose(): Promise<void> {
    this.#worker.terminate();
    for (const pending of this.#pending.values()) pending.reject(new CancelledError('The engine was disposed.'));
    this.#pending.clear();
  }
}
