/**
 * The engine in this thread (in the app: inside the web worker). Owns the loaded pipeline and a
 * queue: one generation at a time on one GPU, however many callers share it. Models come through
 * the ModelStore port (the browser's weight store); progress is the pipeline's own, plus rate and ETA.
 * A lost GPU device (runtime/gpu-device.ts) fails the running job with GpuDeviceLostError and drops the
 * model's sessions; the next load makes new ones on a fresh device, from the store, without a reload.
 */
import { folderRecommendation } from './model/model-recommendation.js';
import { InvalidRequestError, ModelFormatError, ShaderF16UnsupportedError, type GpuDeviceLostError } from '../core/errors.js';
import { deviceLostError, ortWebGpuDevice, requestFreshDevice, type WatchedDevice } from './runtime/gpu-device.js';
import { latentToRgba } from '../core/latent-preview.js';
import { SerialQueue } from '../core/serial-queue.js';
import { chooseBackend } from './runtime/backend-choice.js';
import { detectCapabilities, type Capabilities } from './runtime/capabilities.js';
import type { Engine, GenerateCallOptions, ImageResult, LoadedModel, EngineLoadOptions } from './engine.js';
import type { Preview } from './events.js';
import { checkFolderPlan, shaderF16Message, type Backend, type BackendTarget } from './runtime/model-fit.js';
import { checkListingTakesImage, imageInputRefusal } from './model/model-parts.js';
import { choosePrecision, type ModelSpec } from './model/model-spec.js';
import type { OrtModule } from './runtime/ort.js';
import { StableDiffusionPipeline } from './pipeline.js';
import { checkRequest } from './pipeline-checks.js';
import type { ModelGeometry } from './model/model-geometry.js';
import type { StepProgress } from './events.js';
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
  /**
   * A runtime with one backend (Node: onnxruntime-web's 'wasm', or onnxruntime-node's 'cpu'): every load
   * runs on it, whatever the capabilities and the preference say. Default: chosen per load (backend-choice.ts).
   */
  backend?: 'wasm' | 'cpu';
  /** A fresh GPU device after one was lost (default: gpu-device.ts's requestFreshDevice, on navigator.gpu). */
  requestDevice?: () => Promise<WatchedDevice>;
}

/** How long a run on a lost device may take to give up before its sessions are released anyway. */
const LOST_RUN_GRACE_MS = 5000;

interface Loaded {
  key: string;
  pipeline: StableDiffusionPipeline;
  info: LoadedModel;
  /** On WebGPU: resolves (with the error to report) when the device under the sessions is lost. */
  lost: Promise<GpuDeviceLostError> | null;
}

export class LocalEngine implements Engine {
  #ort: OrtModule;
  #store: ModelStore;
  #detect: () => Promise<Capabilities>;
  #backend: 'wasm' | 'cpu' | undefined;
  #capabilities: Promise<Capabilities> | null = null;
  #loaded: Loaded | null = null;
  #queue = new SerialQueue();
  /** The device new WebGPU sessions get: null, onnxruntime's default until one is lost; then a fresh one (gpu-device.ts). */
  #device: WatchedDevice | null = null;
  #needFreshDevice = false;
  #requestDevice: () => Promise<WatchedDevice>;
  /** The generation running now, so a lost device's sessions are released once it has settled. */
  #running: Promise<unknown> = Promise.resolve();

  constructor(options: LocalEngineOptions) {
    this.#ort = options.ort;
    this.#store = options.store;
    this.#detect = options.detect ?? (() => detectCapabilities());
    this.#backend = options.backend;
    this.#requestDevice = options.requestDevice ?? (() => requestFreshDevice());
  }

  capabilities(): Promise<Capabilities> {
    this.#capabilities ??= this.#detect();
    return this.#capabilities;
  }

  load(spec: ModelSpec, options: EngineLoadOptions = {}): Promise<LoadedModel> {
    return this.#queue.run(async () => {
      const caps = await this.capabilities();
      const { backend, reason }: { backend: Backend; reason: string | null } = this.#backend
        ? { backend: this.#backend, reason: null }
        : chooseBackend(caps, spec, options.backend);
      const precision = choosePrecision(spec, backend === 'webgpu' && caps.shaderF16);
      // An fp16-only model on WebGPU without shader-f16: refused before anything is downloaded.
      if (precision === 'fp16' && backend === 'webgpu' && !caps.shaderF16) throw new ShaderF16UnsupportedError(shaderF16Message(`The model ${spec.id}`));
      const url = spec.urls[precision];
      if (!url) throw new InvalidRequestError(`The model ${spec.id} has no folder URL: give the URL of the model folder (the one holding model_index.json).`);
      const safetyChecker = options.safetyChecker ?? true;
      const key = `${url}|${backend}|${safetyChecker}`;
      if (this.#loaded?.key === key) {
        const refusal = options.needsVaeEncoder ? imageInputRefusal(this.#loaded.info.name, this.#loaded.info.hasVaeEncoder) : null;
        if (refusal) throw refusal;
        if (options.request) checkRequest(this.#loaded.info.name, this.#loaded.info.geometry, options.request, backend);
        if (options.loras) await this.#loaded.pipeline.setLoras(options.loras);
        return this.#loaded.info;
      }
      const target: BackendTarget = {
        backend,
        shaderF16: caps.shaderF16,
        maxBufferSize: caps.maxBufferSize,
        maxStorageBufferBindingSize: caps.maxStorageBufferBindingSize,
      };
      // The folder's graphs are read before its weights move: wrong backend, fp16 without shader-f16 or too large is said first.
      const source = await this.#store.ensure(url, {
        onProgress: options.onProgress,
        signal: options.signal,
        check: (plan) => checkFolderPlan(plan, target),
        safetyChecker,
        // img2img on a folder without vae_encoder/ is refused from its file list, before the weights move.
        ...(options.needsVaeEncoder ? { checkFiles: checkListingTakesImage } : {}),
      });
      if (backend === 'webgpu' && this.#needFreshDevice) {
        this.#device = await this.#requestDevice();
        this.#needFreshDevice = false;
      }
      const device = backend === 'webgpu' ? this.#device : null;
      const pipeline = await StableDiffusionPipeline.load(this.#ort, source, {
        executionProviders: [device ? ({ name: 'webgpu', device } as unknown as 'webgpu') : backend],
        onProgress: options.onProgress,
        safetyChecker,
        ...(options.loras ? { loras: options.loras } : {}),
        ...(options.request ? { checkFolder: (geometry: ModelGeometry) => void checkRequest(source.name, geometry, options.request!, backend) } : {}),
      }).catch((error: unknown) => this.#forgetDamaged(url, error));
      await pipeline.tiny.warm(); // the tiny decoder's session now: previews from the first step
      await this.#loaded?.pipeline.dispose();
      const info: LoadedModel = {
        id: spec.id,
        name: source.name,
        url,
        precision: pipeline.floatType === 'float16' ? 'fp16' : 'fp32',
        backend,
        backendReason: reason,
        geometry: pipeline.geometry,
        hasVaeEncoder: pipeline.hasVaeEncoder,
        safetyChecker: pipeline.hasSafetyChecker,
        recommended: folderRecommendation(pipeline.folder),
      };
      const watched = backend === 'webgpu' ? (device ?? ortWebGpuDevice(this.#ort)) : null;
      const loaded: Loaded = { key, pipeline, info, lost: watched ? watched.lost.then(deviceLostError) : null };
      void loaded.lost?.then(() => this.#deviceLost(loaded));
      this.#loaded = loaded;
      return info;
    });
  }

  generate(request: GenerationRequest, options: GenerateCallOptions = {}): Promise<ImageResult> {
    return this.#queue.run(async () => {
      const loaded = this.#requireLoaded();
      const { pipeline } = loaded;
      const {
        onProgress,
        onPreview,
        signal,
        previewEvery = 1,
        vaeDecodeEvery = 0,
        floatImage = false,
        preview = 'tiny',
        previewBudget = PREVIEW_BUDGET,
      } = options;
      const plan = previewPlan(preview, pipeline.folder.hasTinyDecoder, previewEvery);
      const started = performance.now();
      const budget = new PreviewBudget(previewBudget, started);
      const running = pipeline.generate(request, {
        signal,
        onProgress: (progress) => {
          if (progress.stage !== 'denoise') return onProgress?.(progress);
          const itPerSecond = progress.step / ((performance.now() - started) / 1000);
          onProgress?.({ ...progress, itPerSecond, etaSeconds: (progress.totalSteps - progress.step) / itPerSecond });
        },
        onStep: onPreview ? (step) => this.#preview(pipeline, onPreview, step, plan, vaeDecodeEvery, budget) : undefined,
      });
      this.#running = running.catch(() => undefined);
      const result = await this.#unlessLost(loaded, running);
      const png = await encodeImagePng(result);
      return {
        width: result.width,
        height: result.height,
        rgba: result.rgba,
        png,
        request: result.request,
        model: result.model,
        timings: result.timings,
        ...(floatImage ? { image: result.image } : {}),
      };
    });
  }

  /**
   * A full VAE decode every `vaeDecodeEvery` steps (not on the last step: the result follows), else the plan's
   * preview every `plan.every` steps: the tiny decoder's full-size picture (within the budget's share of the loop's time), or the latent projection.
   */
  async #preview(
    pipeline: StableDiffusionPipeline,
    onPreview: (preview: Preview) => void,
    s: StepProgress,
    plan: PreviewPlan,
    vaeDecodeEvery: number,
    budget: PreviewBudget,
  ): Promise<void> {
    const { step, totalSteps, latents, latentWidth, latentHeight } = s;
    const f = pipeline.geometry.vaeScaleFactor;
    if (vaeDecodeEvery > 0 && step % vaeDecodeEvery === 0 && step < totalSteps) {
      const { rgba } = await pipeline.decode(latents, latentWidth * f, latentHeight * f);
      // A full-size preview is a picture: the safety checker sees it first, as it sees the result.
      if (await pipeline.withholds({ width: latentWidth * f, height: latentHeight * f, rgba })) return;
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

  /**
   * A part onnxruntime refused as not a readable model (ModelFormatError naming its files): the store
   * forgets those files, so loading again downloads them afresh instead of refusing the same copy.
   */
  async #forgetDamaged(url: string, error: unknown): Promise<never> {
    if (error instanceof ModelFormatError && error.files.length > 0 && this.#store.discard) {
      await this.#store.discard(url, error.files);
      const forgotten = new ModelFormatError(
        `${error.message} The stored copy of ${error.files.join(', ')} was discarded: loading the model again downloads it afresh.`,
      );
      forgotten.files = error.files;
      throw forgotten;
    }
    throw error;
  }

  #requirePipeline(): StableDiffusionPipeline {
    return this.#requireLoaded().pipeline;
  }

  #requireLoaded(): Loaded {
    if (!this.#loaded) throw new InvalidRequestError('No model is loaded: load one (e.g. the bundled shapes-sd) before generating.');
    return this.#loaded;
  }

  /** `work`'s result, or GpuDeviceLostError as soon as the device under `loaded` is lost (also when the runtime's own error comes first). */
  async #unlessLost<T>(loaded: Loaded, work: Promise<T>): Promise<T> {
    if (!loaded.lost) return work;
    const lost = loaded.lost.then((error) => Promise.reject(error));
    try {
      return await Promise.race([work, lost]);
    } catch (error) {
      // A run on a lost device may fail before `device.lost` resolves: wait a moment for it.
      const lostError = await Promise.race([loaded.lost, new Promise<null>((resolve) => setTimeout(resolve, 250, null))]);
      throw lostError ?? error;
    }
  }

  /**
   * The device under `loaded` is lost: its sessions are useless. The next load makes new ones (from the
   * store: nothing downloads again) on a fresh device, after the old ones are released.
   */
  #deviceLost(loaded: Loaded): void {
    this.#needFreshDevice = true;
    this.#device = null;
    if (this.#loaded === loaded) this.#loaded = null;
    // In the queue, so the next load waits for it: the run on the lost device settles (it fails, or at most 5 s), then its sessions go.
    void this.#queue.run(async () => {
      await Promise.race([this.#running, new Promise((resolve) => setTimeout(resolve, LOST_RUN_GRACE_MS))]);
      await loaded.pipeline.dispose().catch(() => undefined);
    });
  }

  async dispose(): Promise<void> {
    await this.#loaded?.pipeline.dispose();
    this.#loaded = null;
  }
}
