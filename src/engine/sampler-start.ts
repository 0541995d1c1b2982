/**
 * Where the sampler loop starts and what it does between steps, for text-to-image, image-to-image and
 * inpainting, exactly as diffusers' pipelines compute it:
 *
 *   txt2img  (StableDiffusionPipeline)        all timesteps, latents = noise * init_noise_sigma
 *   img2img  (StableDiffusionImg2ImgPipeline)  init_timestep = min(int(N * strength), N),
 *            t_start = max(N - init_timestep, 0); run timesteps[t_start * order:] (set_begin_index);
 *            latents = add_noise(image_latents, noise, timesteps[:1]), image_latents = scaling * VAE-encoder mean
 *   inpaint  (StableDiffusionInpaintPipeline)  same schedule; latents = noise * init_noise_sigma at strength 1,
 *            else add_noise(...). 4-channel UNet: after step i the kept cells are reset to
 *            add_noise(image_latents, noise, timesteps[i + 1]) (the clean image_latents after the last step).
 *            9-channel UNet (sd-v1-5-inpainting style): the UNet sees [latents ‖ mask ‖ masked-image latents]
 *            and nothing is reset.
 * `noise` is the generator's first draw, randn(1, 4, h, w), so a seed gives diffusers' picture; ancestral
 * samplers draw on from the same generator. The VAE encoder is injected (`encode`), so this file has no ORT.
 */
import { InvalidRequestError } from '../core/errors.js';
import { rgbaToVaeInput, type RgbaImage } from '../core/init-image.js';
import { concat, scale } from '../core/latents.js';
import { binaryMask, blendMasked, latentMask, maskImage } from '../core/mask.js';
import type { Scheduler } from '../core/schedulers/scheduler.js';

/** The image inputs of a validated request. */
export interface ImageInputs {
  initImage: RgbaImage;
  /** Inpainting when present: white = repaint, black = keep (same size as initImage). */
  mask: RgbaImage | null;
  /** (0, 1]: how much of the schedule runs (1 = all of it, from pure noise for inpainting). */
  strength: number;
}

export interface SamplerStart {
  /** The timesteps the loop runs (the tail of scheduler.timesteps for img2img). */
  timesteps: readonly number[];
  /** The sampler steps that run: diffusers' num_inference_steps after get_timesteps (N - t_start); what progress counts. */
  numInferenceSteps: number;
  /** Latents before the first step, (1, 4, h, w). */
  latents: Float32Array;
  /** Applied to the latents after step i (0-based); 4-channel inpainting resets the kept cells. */
  afterStep: (i: number, latents: Float32Array) => Float32Array;
  /** (1, 5, h, w) = mask ‖ masked-image latents, appended to the UNet's scaled input for 9-channel UNets; else null. */
  unetConditioning: Float32Array | null;
}

export interface StartContext {
  /** After setTimesteps. */
  scheduler: Scheduler;
  /** The generator's first draw (or the caller's latents), (1, 4, h, w). */
  noise: Float32Array;
  /** VAE encoder: (1, 3, H, W) in [-1, 1] -> scaling_factor * mean, (1, 4, h, w). */
  encode: (vaeInput: Float32Array) => Promise<Float32Array>;
  /** The UNet's input channels: 4, or 9 for inpainting UNets. */
  unetInChannels: number;
  /** Pixels per latent cell (8). */
  vaeScale: number;
}

/** diffusers' get_timesteps: the index of the first timestep that runs for `strength`. */
export function startStep(numInferenceSteps: number, strength: number): number {
  const initTimestep = Math.min(Math.floor(numInferenceSteps * strength), numInferenceSteps);
  return Math.max(numInferenceSteps - initTimestep, 0);
}

/** Text-to-image: the whole schedule from noise * init_noise_sigma. */
export function textToImageStart(scheduler: Scheduler, noise: Float32Array, numInferenceSteps: number): SamplerStart {
  return { timesteps: scheduler.timesteps, numInferenceSteps, latents: scale(noise, scheduler.initNoiseSigma), afterStep: (_, x) => x, unetConditioning: null };
}

export async function imageToImageStart(inputs: ImageInputs, numInferenceSteps: number, ctx: StartContext): Promise<SamplerStart> {
  const { scheduler, noise, encode } = ctx;
  const tStart = startStep(numInferenceSteps, inputs.strength);
  const begin = tStart * scheduler.order;
  if (begin >= scheduler.timesteps.length) {
    throw new InvalidRequestError(`strength ${inputs.strength} with ${numInferenceSteps} steps runs no step: raise the strength or the steps.`);
  }
  scheduler.setBeginIndex(begin);
  const timesteps = scheduler.timesteps.slice(begin);
  const runs = numInferenceSteps - tStart; // diffusers' get_timesteps: num_inference_steps - t_start
  const image = rgbaToVaeInput(inputs.initImage); // (1, 3, H, W)
  const fromImage = async () => scheduler.addNoise(await encode(image), noise, timesteps[0]);

  if (!inputs.mask) return { timesteps, numInferenceSteps: runs, latents: await fromImage(), afterStep: (_, x) => x, unetConditioning: null };

  const pixels = binaryMask(inputs.mask);
  const { width, height } = inputs.initImage;
  const mask = latentMask(pixels, width, height, ctx.vaeScale); // (h, w)
  const pureNoise = inputs.strength === 1;

  if (ctx.unetInChannels === 9) {
    const maskedImageLatents = await encode(maskImage(image, pixels));
    const latents = pureNoise ? scale(noise, scheduler.initNoiseSigma) : await fromImage();
    return { timesteps, numInferenceSteps: runs, latents, afterStep: (_, x) => x, unetConditioning: concat(mask, maskedImageLatents) };
  }
  if (ctx.unetInChannels !== 4) {
    throw new InvalidRequestError(`Inpainting needs a UNet with 4 or 9 input channels; this one has ${ctx.unetInChannels}.`);
  }
  const imageLatents = await encode(image);
  const latents = pureNoise ? scale(noise, scheduler.initNoiseSigma) : scheduler.addNoise(imageLatents, noise, timesteps[0]);
  const afterStep = (i: number, x: Float32Array) => {
    const keep = i < timesteps.length - 1 ? scheduler.addNoise(imageLatents, noise, timesteps[i + 1]) : imageLatents;
    return blendMasked(keep, x, mask);
  };
  return { timesteps, numInferenceSteps: runs, latents, afterStep, unetConditioning: null };
}
