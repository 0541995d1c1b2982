/**
 * Page side: an Engine that forwards every call to a web worker (web-llm's WebWorkerEngine shape).
 * Many callers (the app, several <sd-text-to-image> elements) can share one WorkerEngine.
 */
import { CancelledError, EngineWorkerError, errorFromJSON } from '../core/errors.js';
import type { Capabilities } from '../engine/runtime/capabilities.js';
import type { Engine, EngineLoadOptions, GenerateCallOptions, ImageResult, LoadedModel, StoredModelInfo } from '../engine/engine.js';
import type { EngineProgress, Preview } from '../engine/events.js';
import type { ModelSpec } from '../engine/model/model-spec.js';
import type { GenerationRequest } from '../engine/request/request.js';
import type { PromptSyntax } from '../core/prompt-syntax.js';
import type { Tokenized } from '../engine/text/tokenizer.js';
import type { FromWorker, RequestBody, ResultMap, ToWorker } from './messages.js';

export interface WorkerLike {
  postMessage(message: ToWorker): void;
  /** 'message': the worker's answers; 'error' (it could not start, or died) and 'messageerror' (an answer that cannot be read) fail every pending call. */
  addEventListener(type: 'message' | 'error' | 'messageerror', listener: (event: MessageEvent<FromWorker> | ErrorEvent) => void): void;
  terminate(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: (progress: EngineProgress) => void;
  onPreview?: (preview: Preview) => void;
}

export class WorkerEngine implements Engine {
  readonly #start: () => WorkerLike;
  readonly #label: string;
  #worker: WorkerLike | null = null;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #loraKeys = new WeakMap<Blob, string>();
  #nextLoraKey = 1;

  /**
   * `start` starts the worker: on the first call, and again on the call after the worker failed (a worker
   * that cannot start or dies fails every pending call with one EngineWorkerError). `label` names it in that error.
   */
  constructor(start: () => WorkerLike, label = 'the engine worker') {
    this.#start = start;
    this.#label = label;
  }

  #running(): WorkerLike {
    if (this.#worker) return this.#worker;
    const worker = this.#start();
    this.#worker = worker;
    worker.addEventListener('message', (event) => {
      if (this.#worker === worker) this.#receive((event as MessageEvent<FromWorker>).data);
    });
    worker.addEventListener('error', (event) =>
      this.#failed(worker, (event as ErrorEvent).message ? `it failed: ${(event as ErrorEvent).message}` : 'it could not start or stopped'),
    );
    worker.addEventListener('messageerror', () => this.#failed(worker, 'an answer from it could not be read'));
    return worker;
  }

  /** The worker is unusable: every pending call fails with one clear error; the next call starts a new worker. */
  #failed(worker: WorkerLike, what: string): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    worker.terminate();
    const error = new EngineWorkerError(
      `The engine's web worker (${this.#label}) stopped: ${what}. Check that its script is served from that URL (for <sd-text-to-image>: the assets URL, where the package's files are); the next request starts a new worker.`,
    );
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(error);
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
      const worker = this.#running();
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, onProgress: options.onProgress, onPreview: options.onPreview });
      signal?.addEventListener('abort', () => this.#worker?.postMessage({ id: this.#nextId++, type: 'cancel', target: id }), { once: true });
      worker.postMessage({ ...body, id } as ToWorker);
    });
  }

  capabilities(): Promise<Capabilities> {
    return this.#call({ type: 'capabilities' });
  }

  load(spec: ModelSpec, options: EngineLoadOptions = {}): Promise<LoadedModel> {
    const loras = (options.loraFiles ?? []).map((lora) => ({ ...lora, key: this.#loraKey(lora.data) }));
    return this.#call(
      {
        type: 'load',
        spec,
        backend: options.backend ?? 'auto',
        needsVaeEncoder: options.needsVaeEncoder ?? false,
        safetyChecker: options.safetyChecker ?? true,
        loras,
      },
      options,
    );
  }

  /** The same Blob object, the same key: the worker reads each LoRA file once (lora-inputs.ts). */
  #loraKey(data: Blob): string {
    let key = this.#loraKeys.get(data);
    if (key === undefined) {
      key = `lora-${this.#nextLoraKey++}`;
      this.#loraKeys.set(data, key);
    }
    return key;
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
    this.#worker?.terminate();
    this.#worker = null;
    for (const pending of this.#pending.values()) pending.reject(new CancelledError('The engine was disposed.'));
    this.#pending.clear();
  }
}

/**
 * The engine in a module worker: the one factory of both surfaces. `worker` is the worker script's URL
 * when it is known at run time (the element: beside its module, so that bundlers of pages that use the
 * package leave the library's worker file alone), or a function that starts it where a bundler needs
 * the literal `new Worker(new URL('…', import.meta.url))` (the app: create-worker-engine.ts).
 */
export function workerEngine(worker: string | URL | (() => WorkerLike)): Engine {
  if (typeof worker === 'function') return new WorkerEngine(worker);
  return new WorkerEngine(() => new Worker(worker, { type: 'module' }) as WorkerLike, String(worker));
}
