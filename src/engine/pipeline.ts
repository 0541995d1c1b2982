/**
 * Stable Diffusion v1 text-to-image, step by step as diffusers' StableDiffusionPipeline computes it:
 *   0. the request checked against the model (sizes, steps, ...) before any work (pipeline-checks.ts)
 *   1. tokenize prompt and negative prompt (plain: diffusers' one 77-token chunk; a1111: AUTOMATIC1111's
 *      emphasis and 77-token chunks), encode both with the text encoder (conditioning.ts)
 *   2. initial latents: torch-compatible randn(seed) (or given), times the scheduler's initNoiseSigma;
 *      img2img / inpainting start part-way from the encoded init image instead (sampler-start.ts)
 *   3. the sampler loop (denoising-loop.ts): UNet on [uncond ‖ cond] (or on each alone when their lengths
 *      differ, as A1111 does without padding), classifier-free guidance (noise-prediction.ts), scheduler.step
 *   4. VAE decode of latents / scaling factor, image to [0, 1] and RGBA8 (`decoder: 'tiny'`: the tiny autoencoder,
 *      tiny-autoencoder.ts, as diffusers with an AutoencoderTiny as its vae)
 *   5. the folder's safety checker, when it has one and it is on (safety/safety-checker.ts): a flagged
 *      picture is withheld (NsfwContentDetectedError), never returned as pixels
 * Each stage reports itself (encode / denoise / decode), and a non-finite value (NaN/Inf, as an
 * overflowing fp16 model gives) stops it with an error naming the stage instead of a black picture (non-finite.ts).
 * The class owns the sessions (made in pipeline-sessions.ts: at load, again for a new LoRA set) and runs the steps.
 * The runtime is injected (OrtModule), so the same code runs on WebGPU in the page and on wasm in Node.
 */
import { InvalidRequestError, type NonFiniteOutputError, NsfwContentDetectedError } from '../core/errors.js';
import { imageToRgba, vaeOutputToUnit } from '../core/image.js';
import { divide, hasNonFinite, scale } from '../core/latents.js';
import type { PromptSyntax } from '../core/prompt-syntax.js';
import { TorchGenerator } from '../core/random/torch-generator.js';
import { guidanceScaleEmbedding } from '../core/guidance-embedding.js';
import { createScheduler, withTimestepSpacing } from '../core/schedulers/index.js';
import type { NoiseSource } from '../core/random/noise-source.js';
import { cancellationCheck } from './cancellation.js';
import { denoise } from './denoising-loop.js';
import { nonFiniteError, type ModelPrecision } from './non-finite.js';
import { checkImageInputs, checkRequest, checkUnetTextLength } from './pipeline-checks.js';
import { loadPipelineParts, loadVaeEncoder, loraPartSessions } from './pipeline-sessions.js';
import type { GenerateOptions, GenerationResult, PipelineLoadOptions } from './pipeline-types.js';
import { imageToImageStart, textToImageStart, type SamplerStart } from './sampler-start.js';
import { folderGeometry, type ModelFolder } from './model/model-folder.js';
import type { ModelGeometry } from './model/model-geometry.js';
import type { ModelSource } from './model/model-source.js';
import { backendOf, type Backend } from './runtime/model-fit.js';
import type { OrtModel } from './runtime/ort-model.js';
import type { OrtModule } from './runtime/ort.js';
import { changedLoraParts, type ActiveLora } from './lora/lora-parts.js';
import type { Decoder, GenerationRequest } from './request/request.js';
import type { Conditioning } from './text/conditioning.js';
import { TextConditioner } from './text/text-conditioner.js';
import type { RgbaPicture, SafetyChecker } from './safety/safety-checker.js';
import { TinyAutoencoder } from './tiny-autoencoder.js';
import type { ClipTokenizer, PromptTokens, Tokenized } from './text/tokenizer.js';

const now = () => performance.now();

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
    const p = await loadPipelineParts(ort, source, options);
    return new StableDiffusionPipeline(ort, options, p.folder, p.tokenizer, p.textEncoder, p.unet, p.vaeDecoder, p.safetyChecker);
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
    const created = await loraPartSessions(this.ort, this.folder.source, this.loadOptions, loras, changed);
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
    const r = checkRequest(this.name, geometry, request, this.backend);
    checkImageInputs(this.name, request, this.folder.hasVaeEncoder, () => this.unetInChannels);
    const { signal, onStep, onProgress } = options;
    const checkCancelled = cancellationCheck(signal); // before each stage and UNet call (cancellation.ts)
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
    //    scaled (txt2img) or added to the encoded init image (img2img / inpainting, see sampler-start.ts).
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
    const conditioning = start.unetConditioning; // (1, 5, h, w) for 9-channel inpainting UNets
    const sampleShape = [1, geometry.latentChannels + (conditioning ? conditioning.length / (latentHeight * latentWidth) : 0), latentHeight, latentWidth];

    // 3. Denoising loop (denoising-loop.ts): UNet on [uncond ‖ cond], guidance, scheduler.step, per timestep.
    const t1 = now();
    const timestepCond = timeCondDim === null ? null : guidanceScaleEmbedding(r.guidanceScale - 1, timeCondDim); // w = guidance - 1, as diffusers
    const { latents, stepMs } = await denoise({
      unet: this.unet,
      scheduler,
      start,
      generator,
      cond,
      uncond,
      timestepCond,
      guidanceScale: r.guidanceScale,
      sampleShape,
      latentWidth,
      latentHeight,
      context: { backend: this.backend, vaeScaleFactor: geometry.vaeScaleFactor },
      precision: this.precision,
      checkCancelled,
      onProgress,
      onStep,
    });
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
      // What encoded the init image joins the request (the PNG's `VAE Encoder: TAESD`).
      request: imageInputs && this.usesTinyEncoder(r.decoder) ? { ...r, encoder: 'tiny' as const } : r,
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

  /** The error for NaN/Inf out of a stage: which stage, and the likely cause for this model's precision (non-finite.ts). */
  private nonFinite(stage: string, what: string, part: string): NonFiniteOutputError {
    return nonFiniteError(this.precision, stage, what, part);
  }

  private get precision(): ModelPrecision {
    return { floatType: this.floatType, vaeScalingFactor: this.folder.vaeScalingFactor };
  }

  /** The backend the sessions run on, from the execution providers (model-fit.ts' checks and run errors name it). */
  private get backend(): Backend {
    return backendOf(this.loadOptions.executionProviders as (string | { name: string })[] | undefined);
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

  /** Whether a picture is encoded with the tiny autoencoder: with `decoder: 'tiny'`, when the folder has taesd_encoder/. */
  usesTinyEncoder(decoder: Decoder | undefined): boolean {
    return decoder === 'tiny' && this.folder.hasTinyEncoder;
  }

  /**
   * VAE encode of a (1, 3, H, W) image in [-1, 1]: scaling_factor * the latent distribution's mean, (1, C, h, w);
   * with `decoder: 'tiny'` and taesd_encoder/ in the folder, the tiny autoencoder's latents instead (as diffusers with vae=AutoencoderTiny).
   */
  async encodeImage(image: Float32Array, width: number, height: number, decoder: Decoder = 'full'): Promise<Float32Array> {
    if (this.usesTinyEncoder(decoder)) {
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
    return loadVaeEncoder(this.ort, this.folder.source, this.loadOptions).catch((error: unknown) => {
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
    checkUnetTextLength(this.unet, tokens, label);
    return tokens;
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
