/**
 * One engine per page for every <sd-text-to-image>: one web worker, one loaded pipeline, one copy of
 * the weights in IndexedDB. Elements take turns: a job is `load(model)` then `generate(request)` as one
 * unit in a page-wide queue, so an element never generates with a model another element loaded in
 * between. The worker starts with the first job and is disposed a while after the last element
 * disconnects (moving an element in the DOM disconnects and reconnects it, which must not kill it).
 * A worker that cannot start or dies fails its job (EngineWorkerError, shown as sd-error); the next job
 * starts a new one from the factory, so the queue never waits on a dead worker.
 *
 * A job runs as the app's do (protocol/engine-job.ts). The factory is the seam tests use:
 * `new SharedEngine(() => fakeEngine)`.
 */
import { CancelledError, EngineWorkerError } from '../core/errors.js';
import { SerialQueue } from '../core/serial-queue.js';
import type { Engine, GenerateCallOptions, ImageResult, LoadedModel } from '../engine/engine.js';
import type { ModelSpec } from '../engine/model/model-spec.js';
import type { GenerationRequest } from '../engine/request/request.js';
import type { LoraInput } from '../engine/lora/lora-inputs.js';
import { runEngineJob } from '../protocol/engine-job.js';

export { workerEngine } from '../protocol/worker-engine.js';

export type EngineFactory = () => Engine;

export interface Job {
  spec: ModelSpec;
  /** Fields left out get the loaded model's defaults (a URL model's size comes from its folder). */
  request: GenerationRequest;
  /**
   * The request to generate once the model is loaded, from what it says about itself (the element: the
   * folder's recommended sampler settings for the attributes left unset, settings.ts withModelRecommendation);
   * default `request`. `request` still decides what the load must provide (vae_encoder/ for a picture).
   */
  forModel?: (model: LoadedModel) => GenerationRequest;
  options?: GenerateCallOptions;
  /** Run the model's safety checker (default true); false only when the embedding page turned it off. */
  safetyChecker?: boolean;
  /** LoRA files merged for this job; none: the base model. */
  loraFiles?: readonly LoraInput[];
}

export interface JobResult {
  model: LoadedModel;
  result: ImageResult;
}

/** The library build's name for workers/engine.worker.ts (vite.lib.config.ts): beside the element's module, ort/ and models/. */
export const WORKER_FILE = 'engine.worker.js';

export class SharedEngine {
  readonly #factory: EngineFactory;
  readonly #releaseDelayMs: number;
  #engine: Engine | null = null;
  #users = 0;
  #releaseTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #queue = new SerialQueue();

  constructor(factory: EngineFactory, options: { releaseDelayMs?: number } = {}) {
    this.#factory = factory;
    this.#releaseDelayMs = options.releaseDelayMs ?? 10_000;
  }

  /** The engine, started on first use. */
  get engine(): Engine {
    this.#engine ??= this.#factory();
    return this.#engine;
  }

  /** Whether the engine (its worker) is running. */
  get started(): boolean {
    return this.#engine !== null;
  }

  /** An element is connected: keep the engine. */
  retain(): void {
    this.#users++;
    if (this.#releaseTimer !== null) clearTimeout(this.#releaseTimer);
    this.#releaseTimer = null;
  }

  /** An element is gone: dispose the engine once no element has used it for `releaseDelayMs`. */
  release(): void {
    this.#users = Math.max(0, this.#users - 1);
    if (this.#users > 0 || this.#engine === null) return;
    if (this.#releaseTimer !== null) clearTimeout(this.#releaseTimer);
    this.#releaseTimer = setTimeout(() => {
      this.#releaseTimer = null;
      if (this.#users === 0) void this.dispose();
    }, this.#releaseDelayMs);
  }

  /**
   * Loads the job's model (a no-op when it is the loaded one) and generates, after every earlier job.
   * A job cancelled while it waits rejects at once with CancelledError and never runs.
   */
  run(job: Job): Promise<JobResult> {
    const signal = job.options?.signal;
    const task = async (): Promise<JobResult> => {
      if (signal?.aborted) throw new CancelledError();
      const { previewEvery, vaeDecodeEvery, onProgress, onPreview } = job.options ?? {};
      let model: LoadedModel | undefined;
      let result: ImageResult | undefined;
      const engine = this.engine;
      const forModel = job.forModel;
      // With forModel, the request is made after the load, from the loaded model (onLoaded comes before generate).
      const target: Pick<Engine, 'load' | 'generate'> = forModel
        ? { load: (spec, options) => engine.load(spec, options), generate: (request, options) => engine.generate(model ? forModel(model) : request, options) }
        : engine;
      await runEngineJob(
        target,
        {
          spec: job.spec,
          requests: [job.request],
          preview: { previewEvery, vaeDecodeEvery },
          safetyChecker: job.safetyChecker ?? true,
          loraFiles: job.loraFiles ?? [],
          signal,
        },
        {
          onProgress: (progress) => onProgress?.(progress),
          onPreview: (preview) => onPreview?.(preview),
          onLoaded: (loaded) => void (model = loaded),
          onImage: (image) => void (result = image),
        },
      ).catch((error: unknown) => {
        // Its worker could not start or died: the next job asks the factory again (a corrected assetsUrl takes effect).
        if (error instanceof EngineWorkerError && this.#engine === engine) this.#engine = null;
        throw error;
      });
      return { model: model!, result: result! };
    };
    const run = this.#queue.run(task);
    if (!signal) return run;
    return new Promise<JobResult>((resolve, reject) => {
      const onAbort = () => reject(new CancelledError());
      signal.addEventListener('abort', onAbort, { once: true });
      run.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Stops the engine (its worker); the next job starts a new one. Weights stay stored. */
  async dispose(): Promise<void> {
    const engine = this.#engine;
    this.#engine = null;
    await engine?.dispose();
  }
}
