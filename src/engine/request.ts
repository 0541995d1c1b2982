/**
 * A text-to-image request in diffusers' vocabulary, validated up front with concise errors
 * instead of silent correction.
 */
import { InvalidRequestError } from '../core/errors.js';
import { SCHEDULER_NAMES } from '../core/schedulers/index.js';
import type { SchedulerName } from '../core/schedulers/scheduler.js';

export interface GenerationRequest {
  prompt: string;
  negativePrompt?: string;
  scheduler?: SchedulerName;
  numInferenceSteps?: number;
  /** Classifier-free guidance; <= 1 skips the unconditional pass. */
  guidanceScale?: number;
  /** Seeds torch.Generator().manual_seed(seed): same seed, same image as diffusers on CPU. */
  seed?: number;
  /** N(0,1) initial latents (1 x 4 x H/8 x W/8), used instead of a seed; scaled by initNoiseSigma. */
  latents?: Float32Array;
  width?: number;
  height?: number;
}

export type ResolvedRequest = Required<Omit<GenerationRequest, 'latents' | 'seed'>> & { seed: number | null; latents: Float32Array | null };

/** AUTOMATIC1111's defaults (20 steps is also shapes-sd's recommended setting); diffusers' default is 50 steps. */
export const DEFAULTS = { scheduler: 'pndm', numInferenceSteps: 20, guidanceScale: 7.5 } as const;
export const MAX_SEED = 2 ** 53 - 1;

export function resolveRequest(request: GenerationRequest, defaultSize: { width: number; height: number }): ResolvedRequest {
  const fail = (message: string): never => {
    throw new InvalidRequestError(message);
  };
  if (typeof request.prompt !== 'string') fail('prompt must be a string.');
  const negativePrompt = request.negativePrompt ?? '';
  const scheduler = request.scheduler ?? DEFAULTS.scheduler;
  if (!SCHEDULER_NAMES.includes(scheduler)) fail(`Unknown scheduler "${scheduler}": use one of ${SCHEDULER_NAMES.join(', ')}.`);
  const numInferenceSteps = request.numInferenceSteps ?? DEFAULTS.numInferenceSteps;
  if (!Number.isInteger(numInferenceSteps) || numInferenceSteps < 1 || numInferenceSteps > 1000) fail(`numInferenceSteps must be an integer from 1 to 1000 (got ${numInferenceSteps}).`);
  const guidanceScale = request.guidanceScale ?? DEFAULTS.guidanceScale;
  if (!Number.isFinite(guidanceScale) || guidanceScale < 0 || guidanceScale > 50) fail(`guidanceScale must be a number from 0 to 50 (got ${guidanceScale}).`);
  const width = request.width ?? defaultSize.width;
  const height = request.height ?? defaultSize.height;
  for (const [name, value] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(value) || value < 8 || value > 2048 || value % 8 !== 0) fail(`${name} must be a multiple of 8 from 8 to 2048 (got ${value}).`);
  }
  const seed = request.seed ?? null;
  const latents = request.latents ?? null;
  if (seed === null && latents === null) fail('Give a seed or initial latents.');
  if (seed !== null && (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED)) fail(`seed must be an integer from 0 to ${MAX_SEED} (got ${seed}).`);
  const expected = 4 * (height / 8) * (width / 8);
  if (latents !== null && latents.length !== expected) fail(`latents must have 1x4x${height / 8}x${width / 8} = ${expected} values for ${width}x${height} (got ${latents.length}).`);
  return { prompt: request.prompt, negativePrompt, scheduler, numInferenceSteps, guidanceScale, width, height, seed, latents };
}
