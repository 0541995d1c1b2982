/**
 * The sampler loop of diffusers' StableDiffusionPipeline (step 3 of pipeline.ts): for each timestep,
 * scheduler.scaleModelInput, the guided UNet noise prediction (noise-prediction.ts), scheduler.step with
 * the generation's generator (ancestral samplers draw from it), then what the start asks between steps
 * (sampler-start.ts: inpainting's kept cells). It checks for cancellation before every UNet call, stops
 * on NaN/Inf latents with the stage named, and reports each completed sampler step as diffusers' progress
 * bar counts them (core/schedulers/progress.ts).
 */
import { concat, hasNonFinite } from '../core/latents.js';
import type { NoiseSource } from '../core/random/noise-source.js';
import { schedulerProgress } from '../core/schedulers/progress.js';
import type { Scheduler } from '../core/schedulers/scheduler.js';
import type { GenerateOptions } from './pipeline-types.js';
import { nonFiniteError, type ModelPrecision } from './non-finite.js';
import { predictNoise, prepareUnetInputs, type UnetRunContext } from './noise-prediction.js';
import type { OrtModel } from './runtime/ort-model.js';
import type { SamplerStart } from './sampler-start.js';
import type { Conditioning } from './text/conditioning.js';

export interface DenoiseJob {
  unet: OrtModel;
  /** After setTimesteps (and, for img2img, its begin index: sampler-start.ts). */
  scheduler: Scheduler;
  start: SamplerStart;
  generator: NoiseSource;
  /** Text embeddings (1, 77k, d) and (1, 77m, d); uncond null without guidance. */
  cond: Conditioning;
  uncond: Conditioning | null;
  /** An LCM-distilled UNet's guidance embedding, else null. */
  timestepCond: Float32Array | null;
  guidanceScale: number;
  /** The UNet's sample shape (1, C, h, w): latent channels, plus the conditioning's for 9-channel inpainting UNets. */
  sampleShape: number[];
  latentWidth: number;
  latentHeight: number;
  context: UnetRunContext;
  precision: ModelPrecision;
  checkCancelled: () => Promise<void>;
  onProgress?: GenerateOptions['onProgress'];
  onStep?: GenerateOptions['onStep'];
}

const now = () => performance.now();

/** The latents after the last step, (1, C, h, w), and the time of each UNet call. The UNet's text embeddings are converted (and on WebGPU uploaded) once for all steps. */
export async function denoise(job: DenoiseJob): Promise<{ latents: Float32Array; stepMs: number[] }> {
  const { unet, scheduler, start, generator, checkCancelled, onProgress, onStep } = job;
  const stepMs: number[] = [];
  const timesteps = start.timesteps;
  // Which call completes which sampler step: the count users see (PNDM 20 steps, 21 calls: 1..20 of 20).
  const progress = schedulerProgress(timesteps.length, start.numInferenceSteps, scheduler.order);
  const conditioning = start.unetConditioning; // (1, 5, h, w) for 9-channel inpainting UNets
  let latents = start.latents;
  const unetInputs = await prepareUnetInputs(unet, job.cond, job.uncond, job.timestepCond);
  try {
    for (const [i, t] of timesteps.entries()) {
      await checkCancelled();
      const ts = now();
      const scaled = scheduler.scaleModelInput(latents, t);
      const modelInput = conditioning ? concat(scaled, conditioning) : scaled;
      const noisePred = await predictNoise(unet, modelInput, t, unetInputs, job.sampleShape, job.guidanceScale, job.context);
      latents = start.afterStep(i, scheduler.step(noisePred, t, latents, generator));
      stepMs.push(now() - ts);
      if (hasNonFinite(latents))
        throw nonFiniteError(job.precision, `The UNet (stage: denoise, call ${i + 1} of ${timesteps.length})`, 'latents', 'UNet', ' or another scheduler');
      const step = progress.stepAfterCall[i];
      if (step === null) continue; // PNDM's first call, Heun's first half of a step: no step completed yet
      onProgress?.({ stage: 'denoise', step, totalSteps: progress.totalSteps });
      await onStep?.({ step, totalSteps: progress.totalSteps, timestep: t, latents, latentWidth: job.latentWidth, latentHeight: job.latentHeight });
    }
  } finally {
    unetInputs.dispose();
  }
  return { latents, stepMs };
}
