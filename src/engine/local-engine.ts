/**
 * The engine in this thread (in the app: inside the web worker). Owns the loaded pipeline and a
 * queue: one generation at a time on one GPU, however many callers share it. Models come through
 * the ModelStore port (the browser's weight store); progress is the pipeline's own, plus rate and ETA.
 */
import { InvalidRequestError, ShaderF16UnsupportedError } from '../core/errors.js';
import { latentToRgba } from '../core/latent-preview.js';
import { SerialQueue } from '../core/serial-queue.js';
import { chooseBackend } from './runtime/backend-choice.js';
import { detectCapabilities, type Capabilities } from './runtime/capabilities.js';
import type { Engine, GenerateCallOptions, ImageResult, LoadedModel, LoadOptions, Preview } from './engine.js';
import { checkFolderPlan, shaderF16Message, type BackendTarget } from './runtime/model-fit.js';
import { checkListingTakesPicture, pictureInputRefusal } from './model/model-parts.js';
import { choosePrecision, type ModelSpec } from './model/model-spec.js';
import type { OrtModule } from './runtime/ort.js';
import { StableDiffusionPipeline, type StepProgress } from './pipeline.js';
import { PREVIEW_BUDGET, PreviewBudget, previewPlan, type PreviewPlan } from './preview-choice.js';
import { encodeImagePng } from './request/png-file.js';
import type { ModelStore, StoredModelInfo } from './ports.js';
import type { GenerationRequest } from './request/request.js';
import type { PromptSyntax } from '../core/prompt-syntax.js';
import type { Tokenized } from './text/tokenizer.js';

export interface LocalEngineOptions {
  ort: OrtModule;
  store: ModelStore;
  detect?: () => Promise<Capabilities>;
}

export class LocalEngine implements Engine {
  #ort: OrtModule;
  #store: ModelStore;
  #detect: () => Promise<Capabilities>;
  #capabilities: Promise<Capabilities> | null = null;
  #loaded: { key: string; pipeline: StableDiffusionPipeline; info: LoadedModel } | null = null;
  #queue = new SerialQueue();

  constructor(options: LocalEngineOptions) {
    this.#ort = options.ort;
    this.#store = options.store;
    this.#detect = options.detect ?? (() => detectCapabilities());
  }

  capabilities(): Promise<Capabilities> {
    this.#capabilities ??= this.#detect();
    return this.#capabilities;
  }

  load(spec: ModelSpec, options: LoadOptions = {}): Promise<LoadedModel> {
    return this.#queue.run(async () => {
      const caps = await this.capabilities();
      const { backend, reason } = chooseBackend(caps, spec, options.backend);
      const precision = choosePrecision(spec, backend === 'webgpu' && caps.shaderF16);
      // An fp16-only model on WebGPU without shader-f16: refused before anything is downloaded.
      if (precision === 'fp16' && backend === 'webgpu' && !caps.shaderF16) throw new ShaderF16UnsupportedError(shaderF16Message(`The model ${spec.id}`));
      const url = spec.urls[precision];
      if (!url) throw new InvalidRequestError(`The model ${spec.id} has no folder URL: give the URL of the model folder (the one holding model_index.json).`);
      const key = `${url}|${backend}`;
      if (this.#loaded?.key === key) {
        const refusal = options.needsVaeEncoder ? pictureInputRefusal(this.#loaded.info.name, this.#loaded.info.hasVaeEncoder) : null;
        if (refusal) throw refusal;
        return this.#loaded.info;
      }
      const target: BackendTarget = { backend, shaderF16: caps.shaderF16, maxBufferSize: caps.maxBufferSize, maxStorageBufferBindingSize: caps.maxStorageBufferBindingSize };
      // The folder's graphs are read before its weights move: wrong backend, fp16 without shader-f16 or too large is said first.
      const source = await this.#store.ensure(url, { onProgress: options.onProgress, signal: options.signal, check: (plan) => checkFolderPlan(plan, target),
        // img2img on a folder without vae_encoder/ is refused from its file list, before the weights move.
        ...(options.needsVaeEncoder ? { checkFiles: checkListingTakesPicture } : {}),
      });
      const pipeline = await StableDiffusionPipeline.load(this.#ort, source, {
        executionProviders: [backend],
        onProgress: options.onProgress,
      });
      await pipeline.tiny.warm(); // the tiny decoder's session now: previews from the first step
      await this.#loaded?.pipeline.dispose();
      const info: LoadedModel = { id: spec.id, name: source.name, url, precision: pipeline.floatType === 'float16' ? 'fp16' : 'fp32', backend, backendReason: reason, geometry: pipeline.geometry, hasVaeEncoder: pipeline.hasVaeEncoder };
      this.#loaded = { key, pipeline, info };
      return info;
    });
  }

  generate(request: GenerationRequest, options: GenerateCallOptions = {}): Promise<ImageResult> {
    return this.#queue.run(async () => {
      const pipeline = this.#requirePipeline();
      const { onProgress, onPreview, signal, previewEvery = 1, vaeDecodeEvery = 0, preview = 'tiny', previewBudget = PREVIEW_BUDGET } = options;
      const plan = previewPlan(preview, pipeline.folder.hasTinyDecoder, previewEvery);
      const started = performance.now();
      const budget = new PreviewBudget(previewBudget, started);
      const result = await pipeline.generate(request, {
        signal,
        onProgress: (progress) => {
          if (progress.stage !== 'denoise') return onProgress?.(progress);
          const itPerSecond = progress.step / ((performance.now() - started) / 1000);
          onProgress?.({ ...progress, itPerSecond, etaSeconds: (progress.totalSteps - progress.step) / itPerSecond });
        },
        onStep: onPreview ? (step) => this.#preview(pipeline, onPreview, step, plan, vaeDecodeEvery, budget) : undefined,
      });
      const png = await encodeImagePng(result);
      return { width: result.width, height: result.height, rgba: result.rgba, png, request: result.request, model: result.model, timings: result.timings };
    });
  }

  /**
   * A full VAE decode every `vaeDecodeEvery` steps (not on the last step: the result follows), else the plan's
   * preview every `plan.every` steps: the tiny decoder's full-size picture (within the budget's share of the loop's time), or the latent projection.
   */
  async #preview(pipeline: StableDiffusionPipeline, onPreview: (preview: Preview) => void, s: StepProgress, plan: PreviewPlan, vaeDecodeEvery: number, budget: PreviewBudget): Promise<void> {
    const { step, totalSteps, latents, latentWidth, latentHeight } = s;
    const f = pipeline.geometry.vaeScaleFactor;
    if (vaeDecodeEvery > 0 && step % vaeDecodeEvery === 0 && step < totalSteps) {
      const { rgba } = await pipeline.decode(latents, latentWidth * f, latentHeight * f);
      onPreview({ step, totalSteps, kind: 'vae', width: latentWidth * f, height: latentHeight * f, rgba });
    } else if (plan.kind === 'tiny' && step % plan.every === 0 && budget.allows(performance.now())) {
      const t = performance.now();
      const { rgba } = await pipeline.decode(latents, latentWidth * f, latentHeight * f, 'tiny');
      budget.spent(performance.now() - t);
      onPreview({ step, totalSteps, kind: 'tiny', width: latentWidth * f, height: latentHeight * f, rgba });
    } else if (plan.kind === 'latent' && step % plan.every === 0) {
      onPreview({ step, totalSteps, kind: 'latent', width: latentWidth, height: latentHeight, rgba: latentToRgba(latents, latentWidth, latentHeight) });
    }
  }

  async tokenize(text: string, syntax: PromptSyntax = 'plain'): Promise<Tokenized> {
    return this.#requirePipeline().tokenize(text, syntax);
  }

  listModels(): Promise<StoredModelInfo[]> {
    return this.#store.list();
  }

  deleteModel(id: string): Promise<void> {
    return this.#queue.run(() => this.#store.delete(id));
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
