/**
 * Stable Diffusion v1 text-to-image, step by step as diffusers' StableDiffusionPipeline computes it:
 *   0. the request checked against the model (sizes, steps, ...) before any work
 *   1. tokenize prompt and negative prompt (plain: diffusers' one 77-token chunk; a1111: AUTOMATIC1111's
 *      emphasis and 77-token chunks), encode both with the text encoder (conditioning.ts)
 *   2. initial latents: torch-compatible randn(seed) (or given), times the scheduler's initNoiseSigma;
 *      img2img / inpainting start part-way from the encoded init image instead (img2img.ts)
 *   3. the sampler loop: UNet on [uncond ‖ cond] (or on each alone when their lengths differ, as A1111
 *      does without padding), classifier-free guidance, scheduler.step
 *   4. VAE decode of latents / scaling factor, image to [0, 1] and RGBA8 (`decoder: 'tiny'`: the tiny autoencoder,
 *      tiny-autoencoder.ts, as diffusers with an AutoencoderTiny as its vae)
 *   5. the folder's safety checker, when it has one and it is on (safety/safety-checker.ts): a flagged
 *      picture is withheld (NsfwContentDetectedError), never returned as pixels
 * Each stage reports itself (encode / denoise / decode), and a non-finite value (NaN/Inf, as an
 * overflowing fp16 model gives) stops it with an error naming the stage instead of a black picture.
 * The runtime is injected (OrtModule), so the same code runs on WebGPU in the page and on wasm in Node.
 */
import { CancelledError, InvalidRequestError, ModelFormatError, NonFiniteOutputError, NsfwContentDetectedError } from '../core/errors.js';
import { imageToRgba, vaeOutputToUnit } from '../core/image.js';
import { classifierFreeGuidance, concat, divide, hasNonFinite, scale } from '../core/latents.js';
import type { PromptSyntax } from '../core/prompt-syntax.js';
import { TorchGenerator } from '../core/random/torch-generator.js';
import { guidanceScaleEmbedding } from '../core/guidance-embedding.js';
import { createScheduler, withTimestepSpacing } from '../core/schedulers/index.js';
import { schedulerProgress } from '../core/schedulers/progress.js';
import type { NoiseSource } from '../core/random/noise-source.js';
import { imageToImageStart, textToImageStart, type SamplerStart } from './sampler-start.js';
import { folderGeometry, openModelFolder, readModelPart, type ModelFolder, type ModelPart } from './model/model-folder.js';
import type { ModelGeometry } from './model/model-geometry.js';
import type { ModelSource } from './model/model-source.js';
import { preciseGroupNorm } from './runtime/precise-group-norm.js';
import { backendOf, checkActivations, type Backend } from './runtime/model-fit.js';
import { OrtModel, type PreparedInput } from './runtime/ort-model.js';
import { explainRunError } from './runtime/session-errors.js';
import type { OrtModule, OrtSessionOptions } from './runtime/ort.js';
import { imageInputRefusal } from './model/model-parts.js';
import { changedLoraParts, loraPartFiles, type ActiveLora } from './lora/lora-parts.js';
import { resolveRequest, type Decoder, type GenerationRequest, type ResolvedRequest } from './request/request.js';
import type { Conditioning } from './text/conditioning.js';
import type { GenerationProgress, LoadProgress, StepProgress } from './events.js';
import { TextConditioner } from './text/text-conditioner.js';
import { SafetyChecker, type RgbaPicture } from './safety/safety-checker.js';
import { TinyAutoencoder } from './tiny-autoencoder.js';
import { ClipTokenizer, MAX_LENGTH, type PromptTokens, type Tokenized } from './text/tokenizer.js';

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

/** UNet inputs made once per generation (see prepareUnetInputs). */
interface UnetInputs {
  /** Batch of each UNet call: 2 for CFG in one call, else 1. */
  batch: number;
  /** One per UNet call of a step. */
  encoderHiddenStates: PreparedInput[];
  timestep: (t: number) => PreparedInput;
  /** An LCM-distilled UNet's guidance embedding (batch 1), else null. */
  timestepCond: PreparedInput | null;
  dispose: () => void;
}

const now = () => performance.now();

/**
 * A request against a model's rules (the one validator, via resolveRequest) and its backend's memory
 * (a size whose attention cannot fit is refused with the largest that fits: model-fit.ts), before any work.
 */
export function checkRequest(name: string, geometry: ModelGeometry, request: GenerationRequest, backend: Backend): ResolvedRequest {
  const r = resolveRequest(request, geometry);
  checkActivations(name, geometry, r.width, r.height, r.guidanceScale > 1 ? 2 : 1, { backend });
  return r;
}

/** Lets queued events (a cancel message, a UI update) run: scheduler.yield where the platform has it, else a macrotask. */
function yieldToEventLoop(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (scheduler?.yield) return scheduler.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export class StableDiffusionPipeline {
  private conditioner: TextConditioner;
  /** The LoRAs merged into textEncoder and unet. */
  private activeLoras: readonly ActiveLora[];
  /** Created on the first img2img / inpainting request (text-to-image never loads it). */
  private vaeEncoder: Promise<OrtModel> | null = null;
  /** taesd_decoder/ and taesd_encoder/ where the folder has them, each loaded on first use. */
  readonly tiny: TinyAutoencoder;

  private constructor(
    private readonly ort: OrtModule,
    private readonly loadOptions: PipelineLoadOptions,
    readonly folder: ModelFolder,
    readonly tokenizer: ClipTokenizer,
    private textEncoder: OrtModel,
    private unet: OrtModel,
    private readonly vaeDecoder: OrtModel,
    private readonly safetyChecker: SafetyChecker | null = null,
  ) {
    this.conditioner = new TextConditioner(tokenizer, textEncoder);
    this.activeLoras = loadOptions.loras ?? [];
    this.tiny = new TinyAutoencoder(ort, folder, { executionProviders: loadOptions.executionProviders, gpuResidentInputs: loadOptions.gpuResidentInputs });
  }

  get name(): string {
    return this.folder.source.name;
  }

  /** 'float16' for fp16 exports (need WebGPU's shader-f16), else 'float32'. */
  get floatType(): 'float32' | 'float16' {
    return this.unet.floatType;
  }

  static async load(ort: OrtModule, source: ModelSource, options: PipelineLoadOptions): Promise<StableDiffusionPipeline> {
    const folder = await openModelFolder(source);
    options.checkFolder?.(folderGeometry(folder));
    const checked = options.safetyChecker !== false && (await SafetyChecker.inFolder(source));
    const report = (part: LoadProgress['part'], index: number) => options.onProgress?.({ stage: 'load', part, index, count: checked ? 5 : 4 });
    report('tokenizer', 0);
    const tokenizer = await ClipTokenizer.fromSource(source);
    const models: OrtModel[] = [];
    try {
      // LoRAs: every layer matched against both graphs before anything loads, then merged (a view of the stored weights)
      const merged = await loraPartFiles(source, options.loras ?? [], ort);
      const parts = ['text_encoder', 'unet', 'vae_decoder'] as const;
      for (const [i, part] of parts.entries()) {
        report(part, i + 1);
        const view = merged.get(part);
        const { model, externalData, modelFile } = view ?? (await readModelPart(source, part));
        const session = OrtModel.create(part, ort, model, {
          executionProviders: options.executionProviders,
          externalData,
          modelFile,
          extra: options.sessionOptions?.[part],
          gpuResidentInputs: options.gpuResidentInputs,
        });
        // A part onnxruntime cannot read names its stored files, so a store can forget them (LocalEngine.load).
        models.push(
          await session.catch((error: unknown) => {
            if (error instanceof ModelFormatError && !view) error.files = [`${part}/model.onnx`, ...externalData.map((e) => `${part}/${e.path}`)];
            throw error;
          }),
        );
      }
    } catch (error) {
      await Promise.all(models.map((m) => m.dispose()));
      throw error;
    }
    const [textEncoder, unet, vaeDecoder] = models;
    let safetyChecker: SafetyChecker | null = null;
    if (checked) {
      report('safety_checker', 4);
      safetyChecker = await SafetyChecker.load(ort, source, {
        executionProviders: options.executionProviders,
        extra: options.sessionOptions?.safety_checker,
      }).catch(async (error: unknown) => {
        await Promise.all(models.map((m) => m.dispose()));
        throw error;
      });
    }
    return new StableDiffusionPipeline(ort, options, folder, tokenizer, textEncoder, unet, vaeDecoder, safetyChecker);
  }

  /** The LoRAs merged into this pipeline's weights. */
  get loras(): readonly ActiveLora[] {
    return this.activeLoras;
  }

  /**
   * Merges another LoRA set: only the sessions whose weights change (text encoder and/or UNet) are made
   * again, from the stored weights plus the new set ([] gives back the stored model, byte for byte). Every
   * layer is checked and the new sessions made before the old ones are released, so a refused set leaves
   * the pipeline as it was. Not while a generation runs (the engine serializes its jobs).
   */
  async setLoras(loras: readonly ActiveLora[]): Promise<void> {
    const changed = changedLoraParts(this.activeLoras, loras);
    if (changed.length === 0) {
      this.activeLoras = loras;
      return;
    }
    const source = this.folder.source;
    const o = this.loadOptions;
    const merged = await loraPartFiles(source, loras, this.ort, changed);
    const created = new Map<string, OrtModel>();
    try {
      for (const part of changed) {
        const { model, externalData, modelFile } = merged.get(part) ?? (await readModelPart(source, part));
        created.set(
          part,
          await OrtModel.create(part, this.ort, model, {
            executionProviders: o.executionProviders,
            externalData,
            modelFile,
            extra: o.sessionOptions?.[part],
            gpuResidentInputs: o.gpuResidentInputs,
          }),
        );
      }
    } catch (error) {
      await Promise.all([...created.values()].map((m) => m.dispose()));
      throw error;
    }
    const old: OrtModel[] = [];
    const textEncoder = created.get('text_encoder');
    if (textEncoder) {
      old.push(this.textEncoder);
      this.textEncoder = textEncoder;
      this.conditioner = new TextConditioner(this.tokenizer, textEncoder);
    }
    const unet = created.get('unet');
    if (unet) {
      old.push(this.unet);
      this.unet = unet;
    }
    this.activeLoras = loras;
    await Promise.all(old.map((m) => m.dispose()));
  }

  tokenize(text: string, syntax: PromptSyntax = 'plain'): Tokenized {
    return this.tokenizer.tokenize(text, syntax);
  }

  /**
   * What this model takes: the size multiple, default size, latent channels and VAE factor from its
   * folder, and the fixed size of a UNet exported with static dims.
   */
  get geometry(): ModelGeometry {
    const [, , h, w] = this.unet.input('sample').shape;
    const fixed = typeof h === 'number' && typeof w === 'number' ? { width: w, height: h } : null;
    return folderGeometry(this.folder, fixed);
  }

  /** Whether the safety checker runs after each decode (the folder has one and it was not turned off). */
  get hasSafetyChecker(): boolean {
    return this.safetyChecker !== null;
  }

  /** Whether the safety checker flags this picture (false without a checker). */
  async withholds(picture: RgbaPicture): Promise<boolean> {
    const [decision] = (await this.safetyChecker?.check([picture])) ?? [];
    return decision?.nsfwContentDetected ?? false;
  }

  /** Whether the folder has vae_encoder/ (img2img and inpainting need it; it loads on first use). */
  get hasVaeEncoder(): boolean {
    return this.folder.hasVaeEncoder;
  }

  async generate(request: GenerationRequest, options: GenerateOptions = {}): Promise<GenerationResult> {
    const started = now();
    const geometry = this.geometry;
    const r = checkRequest(this.name, geometry, request, backendOf(this.loadOptions.executionProviders as (string | { name: string })[] | undefined));
    const refusal = request.initImage ? imageInputRefusal(this.name, this.folder.hasVaeEncoder) : null;
    if (refusal) throw refusal;
    if (this.unetInChannels === 9 && !request.mask) {
      throw new InvalidRequestError(
        `"${this.name}" is an inpainting model (its UNet takes 9 channels: latents, mask, masked-image latents): give an init image and a mask, or use a text-to-image model.`,
      );
    }
    const { signal, onStep, onProgress } = options;
    // Cancellation arrives as a message (worker) or timer; runtimes whose run() settles in microtasks
    // (wasm) would never let it in, so each check first yields to the event loop.
    const checkCancelled = async () => {
      await yieldToEventLoop();
      if (signal?.aborted) throw new CancelledError();
    };
    // diffusers' do_classifier_free_guidance: guidance > 1 and no guidance embedding in the UNet
    // (an LCM-distilled UNet takes the guidance as timestep_cond instead, in one batch-1 call)
    const timeCondDim = this.timeCondProjDim;
    const doGuidance = r.guidanceScale > 1 && timeCondDim === null;
    // The sampler with the request's spacing and eta; its schedule refuses a step count it cannot take
    // (LCM / TCD: at most original_inference_steps) before any model work.
    const schedulerConfig = r.timestepSpacing ? withTimestepSpacing(this.folder.schedulerConfig, r.timestepSpacing) : this.folder.schedulerConfig;
    const scheduler = createScheduler(r.scheduler, schedulerConfig, { eta: r.eta ?? 0 });
    scheduler.setTimesteps(r.numInferenceSteps);

    // 1. Text embeddings: cond (1, 77k, d) and uncond (1, 77m, d) (none without guidance). Too long is refused before any work.
    const promptTokens = this.promptTokens(r.prompt, r.promptSyntax, 'prompt');
    const negativeTokens = doGuidance ? this.promptTokens(r.negativePrompt, r.promptSyntax, 'negative prompt') : null;
    await checkCancelled();
    onProgress?.({ stage: 'encode' });
    const t0 = now();
    const cond = await this.conditioner.encodeTokens(promptTokens);
    const uncond = negativeTokens && (await this.conditioner.encodeTokens(negativeTokens));
    if (hasNonFinite(cond.data) || (uncond !== null && hasNonFinite(uncond.data)))
      throw this.nonFinite('The text encoder (stage: encode)', 'text embeddings', 'text encoder');
    const textEncoderMs = now() - t0;

    // 2. Initial latents (1, C, h, w): noise from the same generator the ancestral samplers draw from,
    //    scaled (txt2img) or added to the encoded init image (img2img / inpainting, see img2img.ts).
    const latentHeight = r.height / geometry.vaeScaleFactor;
    const latentWidth = r.width / geometry.vaeScaleFactor;
    const latentShape = [1, geometry.latentChannels, latentHeight, latentWidth];
    const generator: NoiseSource = new TorchGenerator(r.seed ?? 0);
    const noise = request.latents ?? generator.randn(latentShape);
    const imageInputs = request.initImage ? { initImage: request.initImage, mask: request.mask ?? null, strength: r.strength ?? 1 } : null;
    const start: SamplerStart = imageInputs
      ? await imageToImageStart(imageInputs, r.numInferenceSteps, {
          scheduler,
          noise,
          encode: (pixels) => this.encodeImage(pixels, r.width, r.height, r.decoder),
          unetInChannels: this.unetInChannels,
          vaeScale: geometry.vaeScaleFactor,
        })
      : textToImageStart(scheduler, noise, r.numInferenceSteps);
    let latents = start.latents;
    const conditioning = start.unetConditioning; // (1, 5, h, w) for 9-channel inpainting UNets
    const sampleShape = [1, geometry.latentChannels + (conditioning ? conditioning.length / (latentHeight * latentWidth) : 0), latentHeight, latentWidth];

    // 3. Denoising loop. The UNet's text embeddings are converted (and on WebGPU uploaded) once for all steps.
    const t1 = now();
    const stepMs: number[] = [];
    const timesteps = start.timesteps;
    // Which call completes which sampler step: the count users see (PNDM 20 steps, 21 calls: 1..20 of 20).
    const progress = schedulerProgress(timesteps.length, start.numInferenceSteps, scheduler.order);
    const timestepCond = timeCondDim === null ? null : guidanceScaleEmbedding(r.guidanceScale - 1, timeCondDim); // w = guidance - 1, as diffusers
    const unetInputs = await this.prepareUnetInputs(cond, uncond, timestepCond);
    try {
      for (const [i, t] of timesteps.entries()) {
        await checkCancelled();
        const ts = now();
        const scaled = scheduler.scaleModelInput(latents, t);
        const modelInput = conditioning ? concat(scaled, conditioning) : scaled;
        const noisePred = await this.predictNoise(modelInput, t, unetInputs, sampleShape, r.guidanceScale);
        latents = start.afterStep(i, scheduler.step(noisePred, t, latents, generator));
        stepMs.push(now() - ts);
        if (hasNonFinite(latents))
          throw this.nonFinite(`The UNet (stage: denoise, call ${i + 1} of ${timesteps.length})`, 'latents', 'UNet', ' or another scheduler');
        const step = progress.stepAfterCall[i];
        if (step === null) continue; // PNDM's first call, Heun's first half of a step: no step completed yet
        onProgress?.({ stage: 'denoise', step, totalSteps: progress.totalSteps });
        await onStep?.({ step, totalSteps: progress.totalSteps, timestep: t, latents, latentWidth, latentHeight });
      }
    } finally {
      unetInputs.dispose();
    }
    const denoiseMs = now() - t1;

    // 4. Decode.
    await checkCancelled();
    onProgress?.({ stage: 'decode' });
    const t2 = now();
    const { image, rgba } = await this.decode(latents, r.width, r.height, r.decoder);
    const vaeDecodeMs = now() - t2;
    // 5. The safety checker, as diffusers runs it after decoding: a flagged picture is withheld, never returned.
    if (await this.withholds({ width: r.width, height: r.height, rgba })) throw new NsfwContentDetectedError();
    return {
      width: r.width,
      height: r.height,
      rgba,
      image,
      latents,
      request: r,
      model: this.name,
      timings: { textEncoderMs, denoiseMs, stepMs, vaeDecodeMs, totalMs: now() - started },
    };
  }

  /** VAE decode of final (or intermediate) latents (1, C, h, w): [0, 1] NCHW float image and RGBA8. Throws NonFiniteOutputError for NaN/Inf pixels. */
  async decode(latents: Float32Array, width: number, height: number, decoder: Decoder = 'full'): Promise<{ image: Float32Array; rgba: Uint8ClampedArray }> {
    const { vaeScaleFactor: f, latentChannels } = this.geometry;
    const dims = [1, latentChannels, height / f, width / f];
    const sample =
      decoder === 'tiny' // (1, 3, H, W) in [-1, 1]
        ? await this.tiny.decode(latents, dims)
        : Object.values(await this.vaeDecoder.run({ latent_sample: { data: divide(latents, this.folder.vaeScalingFactor), dims } }))[0].data;
    if (hasNonFinite(sample)) throw this.nonFinite(`The ${decoder === 'tiny' ? 'tiny ' : ''}VAE decoder (stage: decode)`, 'pixels', 'VAE');
    return { image: vaeOutputToUnit(sample), rgba: imageToRgba(sample, width, height) };
  }

  /** The error for NaN/Inf out of a stage: which stage, and the likely cause for this model's precision. */
  private nonFinite(stage: string, what: string, part: string, alternative = ''): NonFiniteOutputError {
    const overflow = `an fp16 ${part} overflowing on this GPU (use the fp32 ${part}: load the fp32 model${alternative})`;
    const config = part === 'VAE' ? `, or vae_decoder/config.json's scaling_factor (${this.folder.vaeScalingFactor}) being wrong` : '';
    const cause =
      this.floatType === 'float16'
        ? `Likely cause: ${overflow}${config}.`
        : `Likely cause: damaged ${part} weights (re-download the model)${config}; with fp16 models, ${overflow}.`;
    return new NonFiniteOutputError(`${stage} produced NaN/Inf ${what} (${this.floatType}). ${cause} No image was made.`);
  }

  /**
   * An LCM-distilled UNet's guidance-embedding width (unet/config.json's time_cond_proj_dim): set when
   * the UNet graph takes a `timestep_cond` input (its static dim 1, else the config's value), else null.
   */
  get timeCondProjDim(): number | null {
    if (!this.unet.inputs.some((input) => input.name === 'timestep_cond')) return null;
    const dim = this.unet.input('timestep_cond').shape[1];
    const fromConfig = this.folder.timeCondProjDim;
    if (typeof dim === 'number') return dim;
    if (fromConfig === null)
      throw new InvalidRequestError(
        `"${this.name}"'s UNet takes timestep_cond (an LCM-distilled UNet) but neither its graph nor unet/config.json says how wide (time_cond_proj_dim).`,
      );
    return fromConfig;
  }

  /** The UNet's input channels: its static `sample` dim 1, else unet/config.json's in_channels, else the latent channels. */
  get unetInChannels(): number {
    const channels = this.unet.input('sample').shape[1];
    return typeof channels === 'number' ? channels : (this.folder.unetInChannels ?? this.folder.latentChannels);
  }

  /**
   * VAE encode of a (1, 3, H, W) image in [-1, 1]: scaling_factor * the latent distribution's mean, (1, C, h, w);
   * with `decoder: 'tiny'` and taesd_encoder/ in the folder, the tiny autoencoder's latents instead (as diffusers with vae=AutoencoderTiny).
   */
  async encodeImage(image: Float32Array, width: number, height: number, decoder: Decoder = 'full'): Promise<Float32Array> {
    if (decoder === 'tiny' && this.folder.hasTinyEncoder) {
      const latents = await this.tiny.encode(image, width, height);
      if (hasNonFinite(latents)) throw this.nonFinite('The tiny VAE encoder (stage: encode)', 'latents', 'VAE encoder');
      return latents;
    }
    const encoder = await (this.vaeEncoder ??= this.loadVaeEncoder());
    const out = await encoder.run({ sample: { data: image, dims: [1, 3, height, width] } }, [encoder.outputs[0].name]);
    const latents = Object.values(out)[0].data;
    if (hasNonFinite(latents)) throw this.nonFinite('The VAE encoder (stage: encode)', 'latents', 'VAE encoder');
    return scale(latents, this.folder.vaeScalingFactor);
  }

  private loadVaeEncoder(): Promise<OrtModel> {
    const load = async () => {
      const { model, externalData, modelFile } = await readModelPart(this.folder.source, 'vae_encoder');
      const o = this.loadOptions;
      // GroupNorm with short sums (precise-group-norm.ts): onnxruntime's long float32 sums cost 7e-5 on flat pictures.
      // A runtime that opens the file itself (onnxruntime-node) keeps the file when its weights are external.
      const precise = modelFile !== undefined && externalData.length > 0 && this.ort.opensModelFiles ? null : preciseGroupNorm(model);
      return OrtModel.create('vae_encoder', this.ort, precise ?? model, {
        executionProviders: o.executionProviders,
        externalData,
        ...(precise ? {} : { modelFile }),
        extra: o.sessionOptions?.vae_encoder,
        gpuResidentInputs: o.gpuResidentInputs,
      });
    };
    return load().catch((error: unknown) => {
      this.vaeEncoder = null; // a later request may try again
      throw error;
    });
  }

  /** last_hidden_state (1, 77, d) for one prompt, plain syntax (diffusers). */
  async encodeText(text: string): Promise<Float32Array> {
    return (await this.encodePrompt(text, 'plain')).data;
  }

  /** The conditioning (1, 77k, d) for one prompt in the given syntax; refuses a prompt too long for the model first. */
  async encodePrompt(text: string, syntax: PromptSyntax): Promise<Conditioning> {
    return this.conditioner.encodeTokens(this.promptTokens(text, syntax, 'prompt'));
  }

  /** Chunks for `text`, checked against the chunk limit and a UNet exported for a fixed sequence length. */
  private promptTokens(text: string, syntax: PromptSyntax, label: string): PromptTokens {
    const tokens = this.conditioner.promptTokens(text, syntax, label);
    const fixed = this.unet.input('encoder_hidden_states').shape[1];
    if (typeof fixed === 'number' && fixed !== tokens.chunks.length * MAX_LENGTH) {
      throw new InvalidRequestError(
        `This model's UNet was exported for ${fixed} text tokens only; the ${label} needs ${tokens.chunks.length * MAX_LENGTH} (${tokens.chunks.length} chunks). Shorten it to 75 tokens without BREAK, or use the plain syntax.`,
      );
    }
    return tokens;
  }

  /**
   * The UNet inputs that stay the same for a whole generation, made once: the text embeddings per
   * UNet call ([uncond ‖ cond] for CFG in one call; uncond, cond in two calls for exports fixed at
   * batch 1 or when the two differ in length, A1111's default; cond without guidance), in GPU memory
   * on WebGPU, and a timestep tensor per distinct timestep.
   */
  private async prepareUnetInputs(cond: Conditioning, uncond: Conditioning | null, timestepCond: Float32Array | null): Promise<UnetInputs> {
    const separate = uncond !== null && (this.unet.input('sample').shape[0] === 1 || uncond.sequenceLength !== cond.sequenceLength);
    const perCall: { data: Float32Array; batch: number; c: Conditioning }[] =
      uncond === null
        ? [{ data: cond.data, batch: 1, c: cond }]
        : separate
          ? [
              { data: uncond.data, batch: 1, c: uncond },
              { data: cond.data, batch: 1, c: cond },
            ]
          : [{ data: concat(uncond.data, cond.data), batch: 2, c: cond }]; // (2, 77k, d): uncond ‖ cond
    const batch = perCall[0].batch;
    const states: PreparedInput[] = [];
    const timesteps = new Map<number, PreparedInput>();
    let guidanceEmbedding: PreparedInput | null = null;
    const dispose = () => [...states, ...timesteps.values(), ...(guidanceEmbedding ? [guidanceEmbedding] : [])].forEach((input) => input.dispose());
    try {
      for (const { data, batch: b, c } of perCall) {
        states.push(await this.unet.prepare('encoder_hidden_states', { data, dims: [b, c.sequenceLength, c.width] }));
      }
      if (timestepCond) guidanceEmbedding = await this.unet.prepare('timestep_cond', { data: timestepCond, dims: [1, timestepCond.length] });
    } catch (error) {
      dispose();
      throw error;
    }
    const timestep = (t: number) => {
      let input = timesteps.get(t);
      if (!input) timesteps.set(t, (input = this.unet.prepareOnCpu('timestep', { data: new Float32Array(batch).fill(t), dims: [batch] })));
      return input;
    };
    return { batch, encoderHiddenStates: states, timestep, timestepCond: guidanceEmbedding, dispose };
  }

  /** eps for one step: the UNet on (2, 4, h, w) = [x ‖ x] with [uncond ‖ cond] (or two batch-1 calls, uncond then cond), then guidance. */
  private async predictNoise(x: Float32Array, t: number, inputs: UnetInputs, sampleShape: number[], guidanceScale: number): Promise<Float32Array> {
    const run = async (sample: Float32Array, encoderHiddenStates: PreparedInput) => {
      const out = await this.unet
        .run(
          {
            sample: { data: sample, dims: [inputs.batch, ...sampleShape.slice(1)] },
            timestep: inputs.timestep(t),
            encoder_hidden_states: encoderHiddenStates,
            ...(inputs.timestepCond ? { timestep_cond: inputs.timestepCond } : {}),
          },
          [this.unet.outputs[0].name],
        )
        .catch((error: unknown) => {
          const f = this.geometry.vaeScaleFactor;
          throw explainRunError(
            'UNet',
            backendOf(this.loadOptions.executionProviders as (string | { name: string })[] | undefined),
            error,
            sampleShape[3] * f,
            sampleShape[2] * f,
          );
        });
      return Object.values(out)[0].data;
    };
    const [first, second] = inputs.encoderHiddenStates;
    if (second) {
      // Exports with a fixed batch of 1, or cond and uncond of different lengths: two calls instead of one.
      return classifierFreeGuidance(await run(x, first), await run(x, second), guidanceScale);
    }
    if (inputs.batch === 1) return run(x, first); // no guidance
    const both = await run(concat(x, x), first); // (2, 4, h, w): uncond ‖ cond
    const half = both.length / 2; // (2, C, h, w) out, whatever the input channels
    return classifierFreeGuidance(both.subarray(0, half), both.subarray(half), guidanceScale);
  }

  async dispose(): Promise<void> {
    const encoder = this.vaeEncoder;
    this.vaeEncoder = null;
    await Promise.all([
      this.textEncoder.dispose(),
      this.unet.dispose(),
      this.vaeDecoder.dispose(),
      this.safetyChecker?.dispose(),
      encoder?.then(
        (e) => e.dispose(),
        () => undefined,
      ),
      this.tiny.dispose(),
    ]);
  }
}
