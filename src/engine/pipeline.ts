/**
 * Stable Diffusion v1 text-to-image, step by step as diffusers' StableDiffusionPipeline computes it:
 *   1. tokenize prompt and negative prompt, encode both with the text encoder
 *   2. initial latents: torch-compatible randn(seed) (or given), times the scheduler's initNoiseSigma
 *   3. the sampler loop: UNet on [uncond ‖ cond], classifier-free guidance, scheduler.step
 *   4. VAE decode of latents / scaling factor, image to [0, 1] and RGBA8
 * The runtime is injected (OrtModule), so the same code runs on WebGPU in the page and on wasm in Node.
 */
import { CancelledError, InvalidRequestError, ModelFormatError } from '../core/errors.js';
import { imageToRgba, vaeOutputToUnit } from '../core/image.js';
import { classifierFreeGuidance, concat, divide, hasNonFinite, scale } from '../core/latents.js';
import type { GenerationParameters } from '../core/parameters.js';
import { TorchGenerator } from '../core/random/torch-generator.js';
import { createScheduler, SCHEDULER_LABELS } from '../core/schedulers/index.js';
import type { NoiseSource } from '../core/random/noise-source.js';
import { openModelFolder, readModelPart, SD_V1_VAE_SCALE, type ModelFolder, type ModelPart } from './model-folder.js';
import type { ModelSource } from './model-source.js';
import { OrtModel } from './ort-model.js';
import type { OrtModule, OrtSessionOptions } from './ort.js';
import { resolveRequest, type GenerationRequest, type ResolvedRequest } from './request.js';
import { ClipTokenizer, MAX_LENGTH, type Tokenized } from './tokenizer.js';

export interface LoadOptions {
  executionProviders: OrtSessionOptions['executionProviders'];
  /** Extra ORT session options per part (e.g. freeDimensionOverrides for the UNet). */
  sessionOptions?: Partial<Record<ModelPart, Partial<OrtSessionOptions>>>;
  onProgress?: (progress: LoadProgress) => void;
}

export type LoadProgress = { stage: 'load'; part: ModelPart | 'tokenizer'; index: number; count: number };

export interface StepProgress {
  step: number; // 1-based
  totalSteps: number;
  timestep: number;
  /** The latents after this step, (1, 4, h, w). */
  latents: Float32Array;
  latentWidth: number;
  latentHeight: number;
}

export interface GenerateOptions {
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
  /** The latents after the last step, (1, 4, h, w). */
  latents: Float32Array;
  parameters: GenerationParameters;
  timings: { textEncoderMs: number; denoiseMs: number; stepMs: number[]; vaeDecodeMs: number; totalMs: number };
}

const now = () => performance.now();

export class StableDiffusionPipeline {
  private constructor(
    readonly folder: ModelFolder,
    readonly tokenizer: ClipTokenizer,
    private readonly textEncoder: OrtModel,
    private readonly unet: OrtModel,
    private readonly vaeDecoder: OrtModel,
  ) {}

  get name(): string {
    return this.folder.source.name;
  }

  /** 'float16' for fp16 exports (need WebGPU's shader-f16), else 'float32'. */
  get floatType(): 'float32' | 'float16' {
    return this.unet.floatType;
  }

  static async load(ort: OrtModule, source: ModelSource, options: LoadOptions): Promise<StableDiffusionPipeline> {
    const folder = await openModelFolder(source);
    const report = (part: LoadProgress['part'], index: number) => options.onProgress?.({ stage: 'load', part, index, count: 4 });
    report('tokenizer', 0);
    const tokenizer = await ClipTokenizer.fromSource(source);
    const models: OrtModel[] = [];
    try {
      const parts = ['text_encoder', 'unet', 'vae_decoder'] as const;
      for (const [i, part] of parts.entries()) {
        report(part, i + 1);
        const { model, externalData } = await readModelPart(source, part);
        models.push(await OrtModel.create(part, ort, model, { executionProviders: options.executionProviders, externalData, extra: options.sessionOptions?.[part] }));
      }
    } catch (error) {
      await Promise.all(models.map((m) => m.dispose()));
      throw error;
    }
    const [textEncoder, unet, vaeDecoder] = models;
    return new StableDiffusionPipeline(folder, tokenizer, textEncoder, unet, vaeDecoder);
  }

  tokenize(text: string): Tokenized {
    return this.tokenizer.tokenize(text);
  }

  /** The UNet's static latent size x 8 where the export fixes it, else unet/config.json's sample_size x 8, else 512. */
  get defaultSize(): { width: number; height: number } {
    const [, , h, w] = this.unet.input('sample').shape;
    if (typeof h === 'number' && typeof w === 'number') return { width: w * SD_V1_VAE_SCALE, height: h * SD_V1_VAE_SCALE };
    const side = (this.folder.unetSampleSize ?? 64) * SD_V1_VAE_SCALE;
    return { width: side, height: side };
  }

  async generate(request: GenerationRequest, options: GenerateOptions = {}): Promise<GenerationResult> {
    const started = now();
    const r = resolveRequest(request, this.defaultSize);
    this.checkStaticSize(r);
    const { signal, onStep } = options;
    const checkCancelled = () => {
      if (signal?.aborted) throw new CancelledError();
    };
    const doGuidance = r.guidanceScale > 1;

    // 1. Text embeddings: (2, 77, d) = uncond ‖ cond, or (1, 77, d) without guidance.
    checkCancelled();
    const t0 = now();
    const cond = await this.encodeText(r.prompt);
    const embeddings = doGuidance ? concat(await this.encodeText(r.negativePrompt), cond) : cond;
    const textEncoderMs = now() - t0;

    // 2. Initial latents (1, 4, h, w), from the same generator the ancestral samplers draw from.
    const latentHeight = r.height / SD_V1_VAE_SCALE;
    const latentWidth = r.width / SD_V1_VAE_SCALE;
    const latentShape = [1, 4, latentHeight, latentWidth];
    const generator: NoiseSource = new TorchGenerator(r.seed ?? 0);
    const noise = r.latents ?? generator.randn(latentShape);
    const scheduler = createScheduler(r.scheduler, this.folder.schedulerConfig);
    scheduler.setTimesteps(r.numInferenceSteps);
    let latents = scale(noise, scheduler.initNoiseSigma);

    // 3. Denoising loop.
    const t1 = now();
    const stepMs: number[] = [];
    const timesteps = scheduler.timesteps;
    for (const [i, t] of timesteps.entries()) {
      checkCancelled();
      const ts = now();
      const modelInput = scheduler.scaleModelInput(latents, t);
      const noisePred = await this.predictNoise(modelInput, t, embeddings, latentShape, doGuidance, r.guidanceScale);
      latents = scheduler.step(noisePred, t, latents, generator);
      stepMs.push(now() - ts);
      if (hasNonFinite(latents)) {
        throw new ModelFormatError(`The latents became NaN/Inf at step ${i + 1} (${this.floatType}). fp16 models can overflow on some GPUs: try the fp32 model or another scheduler.`);
      }
      await onStep?.({ step: i + 1, totalSteps: timesteps.length, timestep: t, latents, latentWidth, latentHeight });
    }
    const denoiseMs = now() - t1;

    // 4. Decode.
    checkCancelled();
    const t2 = now();
    const { image, rgba } = await this.decode(latents, r.width, r.height);
    const vaeDecodeMs = now() - t2;

    const parameters: GenerationParameters = {
      prompt: r.prompt,
      negativePrompt: r.negativePrompt,
      steps: r.numInferenceSteps,
      sampler: SCHEDULER_LABELS[r.scheduler],
      guidanceScale: r.guidanceScale,
      seed: r.seed ?? -1,
      width: r.width,
      height: r.height,
      model: this.name,
    };
    return { width: r.width, height: r.height, rgba, image, latents, parameters, timings: { textEncoderMs, denoiseMs, stepMs, vaeDecodeMs, totalMs: now() - started } };
  }

  /** VAE decode of final (or intermediate) latents (1, 4, h, w): [0, 1] NCHW float image and RGBA8. */
  async decode(latents: Float32Array, width: number, height: number): Promise<{ image: Float32Array; rgba: Uint8ClampedArray }> {
    const dims = [1, 4, height / SD_V1_VAE_SCALE, width / SD_V1_VAE_SCALE];
    const decoded = await this.vaeDecoder.run({ latent_sample: { data: divide(latents, this.folder.vaeScalingFactor), dims } });
    const sample = Object.values(decoded)[0].data; // (1, 3, H, W) in [-1, 1]
    return { image: vaeOutputToUnit(sample), rgba: imageToRgba(sample, width, height) };
  }

  /** last_hidden_state (1, 77, d) for one prompt. */
  async encodeText(text: string): Promise<Float32Array> {
    const { inputIds } = this.tokenizer.tokenize(text);
    const out = await this.textEncoder.run({ input_ids: { data: inputIds, dims: [1, MAX_LENGTH] } }, [this.textEncoder.outputs[0].name]);
    return Object.values(out)[0].data;
  }

  /** eps for one step: the UNet on (2, 4, h, w) = [x ‖ x] with [uncond ‖ cond], then guidance. */
  private async predictNoise(x: Float32Array, t: number, embeddings: Float32Array, latentShape: number[], doGuidance: boolean, guidanceScale: number): Promise<Float32Array> {
    const batch = doGuidance ? 2 : 1;
    const staticBatch = this.unet.input('sample').shape[0];
    const embeddingSize = embeddings.length / batch;
    const run = async (n: number, sample: Float32Array, ehs: Float32Array) => {
      const out = await this.unet.run(
        {
          sample: { data: sample, dims: [n, ...latentShape.slice(1)] },
          timestep: { data: new Float32Array(n).fill(t), dims: [n] },
          encoder_hidden_states: { data: ehs, dims: [n, MAX_LENGTH, embeddingSize / MAX_LENGTH] },
        },
        [this.unet.outputs[0].name],
      );
      return Object.values(out)[0].data;
    };
    if (!doGuidance) return run(1, x, embeddings);
    if (staticBatch === 1) {
      // Exports with a fixed batch of 1: two calls instead of one.
      const uncond = await run(1, x, embeddings.subarray(0, embeddingSize));
      const text = await run(1, x, embeddings.subarray(embeddingSize));
      return classifierFreeGuidance(uncond, text, guidanceScale);
    }
    const both = await run(2, concat(x, x), embeddings); // (2, 4, h, w): uncond ‖ cond
    return classifierFreeGuidance(both.subarray(0, x.length), both.subarray(x.length), guidanceScale);
  }

  private checkStaticSize(r: ResolvedRequest): void {
    const [, , h, w] = this.unet.input('sample').shape;
    if ((typeof h === 'number' && h * 8 !== r.height) || (typeof w === 'number' && w * 8 !== r.width)) {
      throw new InvalidRequestError(`This model's UNet was exported for ${Number(w) * 8}x${Number(h) * 8} only (got ${r.width}x${r.height}).`);
    }
  }

  async dispose(): Promise<void> {
    await Promise.all([this.textEncoder.dispose(), this.unet.dispose(), this.vaeDecoder.dispose()]);
  }
}
