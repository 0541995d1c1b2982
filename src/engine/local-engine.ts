/**
 * The engine in this thread (in the app: inside the web worker). Owns the weight store, the loaded
 * pipeline, and a queue: one generation at a time on one GPU, however many callers share it.
 */
import { InvalidRequestError } from '../core/errors.js';
import { latentToRgba } from '../core/latent-preview.js';
import { formatParameters } from '../core/parameters.js';
import { encodePng } from '../core/png.js';
import { detectCapabilities, type Capabilities } from './capabilities.js';
import type { CallOptions, Engine, EngineProgress, GenerateCallOptions, ImageResult, LoadedModel, Preview, StoredModelInfo } from './engine.js';
import type { ModelSource } from './model-source.js';
import { choosePrecision, type ModelSpec } from './model-spec.js';
import type { OrtModule } from './ort.js';
import { StableDiffusionPipeline, type StepProgress } from './pipeline.js';
import type { GenerationRequest } from './request.js';
import type { Tokenized } from './tokenizer.js';

/** What the engine needs from the weight store (src/store). */
export interface ModelStoreLike {
  /** Downloads what is missing (resuming), verifies, and returns a source that reads the local copy. */
  ensure(url: string, options: { onProgress?: (progress: EngineProgress) => void; signal?: AbortSignal }): Promise<ModelSource>;
  list(): Promise<StoredModelInfo[]>;
  delete(id: string): Promise<void>;
}

export interface LocalEngineOptions {
  ort: OrtModule;
  store: ModelStoreLike;
  detect?: () => Promise<Capabilities>;
}

export class LocalEngine implements Engine {
  #ort: OrtModule;
  #store: ModelStoreLike;
  #detect: () => Promise<Capabilities>;
  #capabilities: Promise<Capabilities> | null = null;
  #loaded: { key: string; pipeline: StableDiffusionPipeline; info: LoadedModel } | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: LocalEngineOptions) {
    this.#ort = options.ort;
    this.#store = options.store;
    this.#detect = options.detect ?? (() => detectCapabilities());
  }

  capabilities(): Promise<Capabilities> {
    this.#capabilities ??= this.#detect();
    return this.#capabilities;
  }

  /** Runs `task` after every earlier task (GPU work is serial). */
  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  load(spec: ModelSpec, options: CallOptions = {}): Promise<LoadedModel> {
    return this.#enqueue(async () => {
      const caps = await this.capabilities();
      const precision = choosePrecision(spec, caps.backend === 'webgpu' && caps.shaderF16);
      const url = spec.urls[precision]!;
      const key = `${url}|${caps.backend}`;
      if (this.#loaded?.key === key) return this.#loaded.info;
      const source = await this.#store.ensure(url, { onProgress: options.onProgress, signal: options.signal });
      const pipeline = await StableDiffusionPipeline.load(this.#ort, source, {
        executionProviders: [caps.backend],
        onProgress: options.onProgress,
      });
      await this.#loaded?.pipeline.dispose();
      const { width, height } = pipeline.defaultSize;
      const info: LoadedModel = { id: spec.id, name: source.name, precision, backend: caps.backend, defaultWidth: width, defaultHeight: height };
      this.#loaded = { key, pipeline, info };
      return info;
    });
  }

  generate(request: GenerationRequest, options: GenerateCallOptions = {}): Promise<ImageResult> {
    return this.#enqueue(async () => {
      const pipeline = this.#requirePipeline();
      const { onProgress, onPreview, signal, previewEvery = 1, vaeDecodeEvery = 0 } = options;
      const started = performance.now();
      const result = await pipeline.generate(request, {
        signal,
        onStep: async ({ step, totalSteps, latents, latentWidth, latentHeight }) => {
          const elapsed = (performance.now() - started) / 1000;
          const itPerSecond = step / elapsed;
          onProgress?.({ stage: 'denoise', step, totalSteps, itPerSecond, etaSeconds: (totalSteps - step) / itPerSecond });
          if (onPreview) await this.#preview(pipeline, onPreview, { step, totalSteps, latents, latentWidth, latentHeight }, previewEvery, vaeDecodeEvery);
          if (step === totalSteps) onProgress?.({ stage: 'decode' }); // the pipeline decodes right after the last step
        },
      });
      const png = await encodePng(result.rgba, result.width, result.height, { parameters: formatParameters(result.parameters) });
      return { width: result.width, height: result.height, rgba: result.rgba, png, parameters: result.parameters, timings: result.timings };
    });
  }

  /** A latent preview every `previewEvery` steps, or a full VAE decode every `vaeDecodeEvery` (not on the last step: the result follows). */
  async #preview(pipeline: StableDiffusionPipeline, onPreview: (preview: Preview) => void, s: Omit<StepProgress, 'timestep'>, previewEvery: number, vaeDecodeEvery: number): Promise<void> {
    const { step, totalSteps, latents, latentWidth, latentHeight } = s;
    if (vaeDecodeEvery > 0 && step % vaeDecodeEvery === 0 && step < totalSteps) {
      const { rgba } = await pipeline.decode(latents, latentWidth * 8, latentHeight * 8);
      onPreview({ step, totalSteps, kind: 'vae', width: latentWidth * 8, height: latentHeight * 8, rgba });
    } else if (previewEvery > 0 && step % previewEvery === 0) {
      onPreview({ step, totalSteps, kind: 'latent', width: latentWidth, height: latentHeight, rgba: latentToRgba(latents, latentWidth, latentHeight) });
    }
  }

  async tokenize(text: string): Promise<Tokenized> {
    return this.#requirePipeline().tokenize(text);
  }

  listModels(): Promise<StoredModelInfo[]> {
    return this.#store.list();
  }

  deleteModel(id: string): Promise<void> {
    return this.#enqueue(() => this.#store.delete(id));
  }

  #requirePipeline(): StableDiffusionPipeline {
    if (!this.#loaded) throw new InvalidRequestError('No model is loaded: load one (e.g. the bundled shapes-sd) before generating.');
    return this.#loaded.pipeline;
  }

  async dispose(): Promise<void> {
    await this.#loaded?.pipeline.dispose();
    this.#loaded = null;
  }
}
