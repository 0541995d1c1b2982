/**
 * The one request model: a text-to-image request in diffusers' vocabulary (prompt, negativePrompt,
 * numInferenceSteps, guidanceScale, scheduler, seed, width, height), one set of limits and one
 * validator that returns field errors. Every surface maps its own names to these once (the CLI's
 * flags, the app's form, the element's attributes) and shows these errors; the engine runs the same
 * validator again against the loaded model before any work. Limits that depend on the model (the
 * size multiple, the default size, latent channels) come from its ModelGeometry.
 */
import { InvalidRequestError } from '../../core/errors.js';
import { emphasisProblem } from '../../core/prompt-parser.js';
import { isPromptSyntax, PROMPT_SYNTAXES, type PromptSyntax } from '../../core/prompt-syntax.js';
import { isSchedulerName, SCHEDULER_NAMES, SD_V1_4_SCHEDULER_CONFIG } from '../../core/schedulers/index.js';
import { maxInferenceSteps } from '../../core/schedulers/step-limit.js';
import { withTimestepSpacing } from '../../core/schedulers/config.js';
import type { SchedulerConfig, SchedulerName } from '../../core/schedulers/scheduler.js';

/** diffusers' `timestep_spacing`: how the schedule's timesteps spread over the training ones. */
export type TimestepSpacing = SchedulerConfig['timestepSpacing'];
export const TIMESTEP_SPACINGS: readonly TimestepSpacing[] = ['leading', 'linspace', 'trailing'];
import type { ModelGeometry } from '../model/model-geometry.js';
import { checkImageFields, DEFAULT_STRENGTH, type ImageRequestFields } from './image-request.js';

/** img2img / inpainting add `initImage`, `mask` and `strength` (image-request.ts). */
export interface GenerationRequest extends ImageRequestFields {
  /** May be empty: an empty prompt generates unconditionally, as in diffusers and AUTOMATIC1111. */
  prompt: string;
  negativePrompt?: string;
  /** How prompt texts are read: 'plain' (diffusers, the default here) or 'a1111' (emphasis, BREAK, long prompts). */
  promptSyntax?: PromptSyntax;
  scheduler?: SchedulerName;
  numInferenceSteps?: number;
  /**
   * Classifier-free guidance; <= 1 runs the UNet once a step on the prompt alone (the negative prompt is
   * not used), as diffusers. An LCM-distilled UNet (a `timestep_cond` input) takes it as its guidance embedding instead.
   */
  guidanceScale?: number;
  /** diffusers' `eta`, passed to the samplers whose `step` takes it: DDIM's eta, TCD's gamma (default 0). */
  eta?: number;
  /** Overrides the model's `timestep_spacing` for every sampler, as `X.from_config(config, timestep_spacing=...)`. */
  timestepSpacing?: TimestepSpacing;
  /** Seeds torch.Generator().manual_seed(seed): same seed, same image as diffusers on CPU. */
  seed?: number;
  /** N(0,1) initial latents (1 x C x H/f x W/f), used instead of a seed; scaled by initNoiseSigma. */
  latents?: Float32Array;
  width?: number;
  height?: number;
  /**
   * Which VAE decodes the final picture: 'full' (the model's VAE, the default) or 'tiny' (the tiny autoencoder,
   * taesd_decoder/: a fraction of the time, softer detail; img2img then encodes with taesd_encoder/ when present).
   */
  decoder?: Decoder;
}

/** The final decode: the model's VAE, or the tiny autoencoder (TAESD, tiny-autoencoder.ts). */
export type Decoder = 'full' | 'tiny';
export const DECODERS: readonly Decoder[] = ['full', 'tiny'];

/** A request with every default filled in: what a result carries and what reproduces it. */
export interface ResolvedRequest {
  prompt: string;
  negativePrompt: string;
  promptSyntax: PromptSyntax;
  scheduler: SchedulerName;
  numInferenceSteps: number;
  guidanceScale: number;
  /** null when the request gave initial latents instead of a seed. */
  seed: number | null;
  width: number;
  height: number;
  /** img2img / inpainting only (A1111's "Denoising strength"); absent for text-to-image. */
  strength?: number;
  /** Present when the request set it (else 0: the samplers that take it run deterministically). */
  eta?: number;
  /** Present when the request overrode the model's spacing. */
  timestepSpacing?: TimestepSpacing;
  /** Present only when the tiny autoencoder decoded the picture (the full VAE is the default). */
  decoder?: 'tiny';
  /**
   * Present only when the tiny autoencoder encoded the init image (img2img / inpainting with `decoder: 'tiny'`
   * on a folder with taesd_encoder/; the pipeline sets it, the folder decides); else the full VAE encoded it.
   */
  encoder?: 'tiny';
}

export type RequestField = keyof GenerationRequest;

/** One problem with one field, in words a user can act on (the same words on every surface). */
export interface RequestFieldError {
  field: RequestField;
  message: string;
}

/** AUTOMATIC1111's defaults (20 steps is also shapes-sd's recommended setting); diffusers' default is 50 steps. */
export const DEFAULTS = { scheduler: 'pndm', numInferenceSteps: 20, guidanceScale: 7.5, promptSyntax: 'plain' } as const satisfies Partial<ResolvedRequest>;

export const MAX_SEED = 2 ** 53 - 1;

/** The limits every surface uses (the size multiple comes from the model). */
export const LIMITS = {
  /** SD's schedulers have 1000 training timesteps. */
  numInferenceSteps: { min: 1, max: 1000 },
  guidanceScale: { min: 0, max: 50 },
  /** DDIM's eta (1: DDPM's variance) and TCD's gamma are both fractions. */
  eta: { min: 0, max: 1 },
  /** Largest side; the smallest is the model's size multiple. */
  maxSize: 2048,
  seed: { min: 0, max: MAX_SEED },
} as const;

/** What the form and the element offer to mean "a new random seed each time", as in AUTOMATIC1111. */
export const RANDOM_SEED = -1;

const LABELS: Record<RequestField, string> = {
  prompt: 'The prompt',
  negativePrompt: 'The negative prompt',
  promptSyntax: 'Prompt syntax',
  scheduler: 'Scheduler',
  numInferenceSteps: 'Steps',
  guidanceScale: 'Guidance scale',
  eta: 'Eta',
  timestepSpacing: 'Timestep spacing',
  seed: 'Seed',
  latents: 'Initial latents',
  width: 'Width',
  height: 'Height',
  initImage: 'The init image',
  mask: 'The mask',
  strength: 'Strength',
  decoder: 'Decoder',
};

/** The multiples of `multiple` nearest to `value` (one below, one above, within the limits). */
export function nearestSizes(value: number, multiple: number): number[] {
  const below = Math.max(multiple, Math.floor(value / multiple) * multiple);
  const above = Math.min(Math.floor(LIMITS.maxSize / multiple) * multiple, Math.ceil(value / multiple) * multiple);
  return [...new Set([below, above])];
}

/** Every problem with `request` for a model of this geometry (empty: valid). Nothing is corrected. */
export function validateRequest(request: GenerationRequest, model: ModelGeometry): RequestFieldError[] {
  const errors: RequestFieldError[] = [];
  const add = (field: RequestField, message: string) => errors.push({ field, message });
  const integerIn = (field: RequestField, value: number | undefined, { min, max }: { min: number; max: number }) => {
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max))
      add(field, `${LABELS[field]} must be a whole number from ${min} to ${max} (got ${value}).`);
  };
  if (typeof request.prompt !== 'string') add('prompt', `${LABELS.prompt} must be text.`);
  if (request.negativePrompt !== undefined && typeof request.negativePrompt !== 'string') add('negativePrompt', `${LABELS.negativePrompt} must be text.`);
  if (request.promptSyntax !== undefined && !isPromptSyntax(request.promptSyntax))
    add('promptSyntax', `${LABELS.promptSyntax} must be one of ${PROMPT_SYNTAXES.join(', ')} (got "${String(request.promptSyntax)}").`);
  else if (request.promptSyntax === 'a1111') {
    for (const field of ['prompt', 'negativePrompt'] as const) {
      const text = request[field];
      const problem = typeof text === 'string' ? emphasisProblem(text) : null;
      if (problem) add(field, `${LABELS[field]}: ${problem}`);
    }
  }
  if (request.scheduler !== undefined && !isSchedulerName(request.scheduler))
    add('scheduler', `${LABELS.scheduler} must be one of ${SCHEDULER_NAMES.join(', ')} (got "${String(request.scheduler)}").`);
  integerIn('numInferenceSteps', request.numInferenceSteps, LIMITS.numInferenceSteps);
  const steps = request.numInferenceSteps;
  const scheduler = request.scheduler ?? DEFAULTS.scheduler;
  if (steps !== undefined && Number.isInteger(steps) && steps <= LIMITS.numInferenceSteps.max && isSchedulerName(scheduler)) {
    const base = model.schedulerConfig ?? SD_V1_4_SCHEDULER_CONFIG;
    const spacing = request.timestepSpacing;
    const config = spacing !== undefined && (TIMESTEP_SPACINGS as readonly unknown[]).includes(spacing) ? withTimestepSpacing(base, spacing) : base;
    const max = maxInferenceSteps(scheduler, config);
    if (steps > max)
      add(
        'numInferenceSteps',
        `${LABELS.numInferenceSteps}: the ${scheduler} scheduler takes at most ${max} with this model's schedule (got ${steps}; more would leave its 0..${config.numTrainTimesteps - 1} timesteps or repeat one).`,
      );
  }
  const g = request.guidanceScale;
  if (g !== undefined && (!Number.isFinite(g) || g < LIMITS.guidanceScale.min || g > LIMITS.guidanceScale.max)) {
    add('guidanceScale', `${LABELS.guidanceScale} must be a number from ${LIMITS.guidanceScale.min} to ${LIMITS.guidanceScale.max} (got ${g}).`);
  }
  const eta = request.eta;
  if (eta !== undefined && (typeof eta !== 'number' || !Number.isFinite(eta) || eta < LIMITS.eta.min || eta > LIMITS.eta.max)) {
    add('eta', `${LABELS.eta} must be a number from ${LIMITS.eta.min} to ${LIMITS.eta.max} (got ${String(eta)}).`);
  }
  if (request.timestepSpacing !== undefined && !(TIMESTEP_SPACINGS as readonly unknown[]).includes(request.timestepSpacing)) {
    add('timestepSpacing', `${LABELS.timestepSpacing} must be one of ${TIMESTEP_SPACINGS.join(', ')} (got "${String(request.timestepSpacing)}").`);
  }
  const size = {
    width: request.width ?? request.initImage?.width ?? model.defaultWidth,
    height: request.height ?? request.initImage?.height ?? model.defaultHeight,
  };
  checkImageFields(request, model, request.numInferenceSteps ?? DEFAULTS.numInferenceSteps, LIMITS.maxSize, add);
  for (const field of ['width', 'height'] as const) {
    const value = size[field];
    const m = model.sizeMultiple;
    if (!Number.isInteger(value) || value < m || value > LIMITS.maxSize)
      add(field, `${LABELS[field]} must be a whole number from ${m} to ${LIMITS.maxSize} (got ${value}).`);
    else if (value % m !== 0)
      add(
        field,
        `${LABELS[field]} must be a multiple of ${m} for this model (the VAE's factor ${model.vaeScaleFactor} x 2^${model.unetDownsamplings} UNet down-samplings): try ${nearestSizes(value, m).join(' or ')} (got ${value}).`,
      );
    else if (model.fixedSize && model.fixedSize[field] !== value)
      add(field, `This model's UNet was exported for ${model.fixedSize.width}x${model.fixedSize.height} only (got ${field} ${value}).`);
  }
  if (request.decoder !== undefined && !DECODERS.includes(request.decoder))
    add('decoder', `${LABELS.decoder} must be one of ${DECODERS.join(', ')} (got "${String(request.decoder)}").`);
  else if (request.decoder === 'tiny' && model.tinyDecoder === false)
    add(
      'decoder',
      `This model has no tiny decoder (taesd_decoder/model.onnx): use the full decoder, or a model folder prepared with prepare_model.py --taesd.`,
    );
  if (request.seed !== undefined) integerIn('seed', request.seed, LIMITS.seed);
  if (request.latents !== undefined) {
    if (request.seed !== undefined) add('latents', 'Give a seed or initial latents, not both.');
    const { width, height } = size;
    const f = model.vaeScaleFactor;
    const c = model.latentChannels;
    const expected = c * Math.floor(height / f) * Math.floor(width / f);
    if (!(request.latents instanceof Float32Array) || request.latents.length !== expected) {
      add(
        'latents',
        `${LABELS.latents} must have 1x${c}x${height / f}x${width / f} = ${expected} values for ${width}x${height} (got ${request.latents?.length ?? 'none'}).`,
      );
    } else {
      const bad = request.latents.findIndex((v) => !Number.isFinite(v));
      if (bad !== -1)
        add(
          'latents',
          `${LABELS.latents} must be finite numbers: value ${bad} of ${expected} is ${request.latents[bad]}${request.latents.every((v) => Number.isNaN(v)) ? ' (all are NaN)' : ''}.`,
        );
    }
  } else if (request.seed === undefined) {
    add('seed', 'Give a seed or initial latents.');
  }
  return errors;
}

/** `request` with defaults filled in, or InvalidRequestError naming the first bad field. */
export function resolveRequest(request: GenerationRequest, model: ModelGeometry): ResolvedRequest {
  const [error] = validateRequest(request, model);
  if (error) throw new InvalidRequestError(error.message, error.field);
  return {
    prompt: request.prompt,
    negativePrompt: request.negativePrompt ?? '',
    promptSyntax: request.promptSyntax ?? DEFAULTS.promptSyntax,
    scheduler: request.scheduler ?? DEFAULTS.scheduler,
    numInferenceSteps: request.numInferenceSteps ?? DEFAULTS.numInferenceSteps,
    guidanceScale: request.guidanceScale ?? DEFAULTS.guidanceScale,
    seed: request.seed ?? null,
    width: request.width ?? request.initImage?.width ?? model.defaultWidth,
    height: request.height ?? request.initImage?.height ?? model.defaultHeight,
    ...(request.initImage ? { strength: request.strength ?? DEFAULT_STRENGTH } : {}),
    ...(request.eta !== undefined ? { eta: request.eta } : {}),
    ...(request.timestepSpacing !== undefined ? { timestepSpacing: request.timestepSpacing } : {}),
    ...(request.decoder === 'tiny' ? { decoder: 'tiny' as const } : {}),
  };
}
