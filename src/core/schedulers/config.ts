/**
 * Reads a diffusers `scheduler/scheduler_config.json` into a SchedulerConfig, with Stable Diffusion
 * v1.4's values (CompVis/stable-diffusion-v1-4, PNDMScheduler) for the keys it leaves out.
 *
 * Timestep spacing follows the scheduler class, as in diffusers: SD v1.4's file has no
 * `timestep_spacing`, so each diffusers class applies its own default (PNDM and DDIM "leading",
 * the others "linspace"), also through `OtherScheduler.from_config(pipe.scheduler.config)`, which
 * drops defaulted keys (`_use_default_values`). A file that names the key (e.g. one written by
 * `save_pretrained`, like shapes-sd's) passes it to every class the same way, so all take its
 * spacing (`timestepSpacingSet`). `clip_sample` likewise: SD v1.4's file sets false; a file without
 * it gives DDIM its class default, true.
 */
import { InvalidRequestError } from '../errors.js';
import type { SchedulerConfig, SchedulerName } from './scheduler.js';

type Spacing = SchedulerConfig['timestepSpacing'];

export const SD_V1_4_SCHEDULER_CONFIG: Readonly<SchedulerConfig> = {
  numTrainTimesteps: 1000,
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: 'scaled_linear',
  predictionType: 'epsilon',
  setAlphaToOne: false,
  skipPrkSteps: true,
  stepsOffset: 1,
  timestepSpacing: 'leading',
  className: 'PNDMScheduler',
  clipSample: false,
};

/** The diffusers class each name stands for. */
export const DIFFUSERS_CLASS_NAMES: Readonly<Record<SchedulerName, string>> = {
  pndm: 'PNDMScheduler',
  ddim: 'DDIMScheduler',
  lms: 'LMSDiscreteScheduler',
  euler: 'EulerDiscreteScheduler',
  euler_a: 'EulerAncestralDiscreteScheduler',
  heun: 'HeunDiscreteScheduler',
  dpmpp_2m: 'DPMSolverMultistepScheduler',
  dpmpp_2m_karras: 'DPMSolverMultistepScheduler',
  unipc: 'UniPCMultistepScheduler',
  lcm: 'LCMScheduler',
  tcd: 'TCDScheduler',
};

/** Each diffusers class's `timestep_spacing` default. */
const DEFAULT_SPACING_BY_CLASS: Readonly<Record<string, Spacing>> = {
  PNDMScheduler: 'leading',
  DDIMScheduler: 'leading',
  LMSDiscreteScheduler: 'linspace',
  EulerDiscreteScheduler: 'linspace',
  EulerAncestralDiscreteScheduler: 'linspace',
  HeunDiscreteScheduler: 'linspace',
  DPMSolverMultistepScheduler: 'linspace',
  UniPCMultistepScheduler: 'linspace',
  LCMScheduler: 'leading',
  TCDScheduler: 'leading',
};

/** The spacing scheduler `name` runs with under `config` (see the file comment). */
export function timestepSpacingFor(name: SchedulerName, config: SchedulerConfig): Spacing {
  const own = DIFFUSERS_CLASS_NAMES[name];
  if (config.className === undefined || config.className === own || config.timestepSpacingSet) return config.timestepSpacing;
  return DEFAULT_SPACING_BY_CLASS[own];
}

/**
 * The config with `timestep_spacing` set for every scheduler class, as
 * `X.from_config(config, timestep_spacing=spacing)` gives it (a per-request override).
 */
export function withTimestepSpacing(config: SchedulerConfig, spacing: Spacing): SchedulerConfig {
  return { ...config, timestepSpacing: spacing, timestepSpacingSet: true };
}

function fail(message: string): never {
  throw new InvalidRequestError(`scheduler_config.json: ${message}`);
}

function read<T>(json: Record<string, unknown>, key: string, fallback: T, valid: (v: unknown) => boolean, expected: string): T {
  const value = json[key];
  if (value === undefined || value === null) return fallback;
  if (!valid(value)) fail(`"${key}" must be ${expected} (got ${JSON.stringify(value)}).`);
  return value as T;
}

const isOneOf =
  (...options: readonly string[]) =>
  (v: unknown): boolean =>
    typeof v === 'string' && options.includes(v);
const isBoolean = (v: unknown): boolean => typeof v === 'boolean';
const isNonNegativeInteger = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;
const isProbability = (v: unknown): boolean => typeof v === 'number' && v > 0 && v < 1;

/** Parses and validates a scheduler_config.json object; missing keys take SD v1.4's values. */
export function parseSchedulerConfig(json: unknown): SchedulerConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('expected a JSON object.');
  const j = json as Record<string, unknown>;
  const d = SD_V1_4_SCHEDULER_CONFIG;
  if (j.trained_betas !== undefined && j.trained_betas !== null) fail('"trained_betas" is not supported; use beta_start / beta_end.');
  if (j.thresholding === true) fail('"thresholding": true is not supported (SD v1 models use false); set it to false.');
  const className = read(j, '_class_name', d.className as string, (v) => typeof v === 'string', 'a string');
  const defaultSpacing = DEFAULT_SPACING_BY_CLASS[className] ?? d.timestepSpacing;
  const config: SchedulerConfig = {
    numTrainTimesteps: read(j, 'num_train_timesteps', d.numTrainTimesteps, (v) => Number.isInteger(v) && (v as number) >= 2, 'an integer >= 2'),
    betaStart: read(j, 'beta_start', d.betaStart, isProbability, 'a number between 0 and 1'),
    betaEnd: read(j, 'beta_end', d.betaEnd, isProbability, 'a number between 0 and 1'),
    betaSchedule: read(j, 'beta_schedule', d.betaSchedule, isOneOf('scaled_linear', 'linear'), '"scaled_linear" or "linear"'),
    predictionType: read(j, 'prediction_type', d.predictionType, isOneOf('epsilon', 'v_prediction'), '"epsilon" or "v_prediction"'),
    setAlphaToOne: read(j, 'set_alpha_to_one', d.setAlphaToOne, isBoolean, 'true or false'),
    skipPrkSteps: read(j, 'skip_prk_steps', d.skipPrkSteps, isBoolean, 'true or false'),
    stepsOffset: read(j, 'steps_offset', d.stepsOffset, isNonNegativeInteger, 'a non-negative integer'),
    timestepSpacing: read(j, 'timestep_spacing', defaultSpacing, isOneOf('leading', 'trailing', 'linspace'), '"leading", "trailing" or "linspace"'),
    className,
    ...(j.timestep_spacing === undefined || j.timestep_spacing === null ? {} : { timestepSpacingSet: true }),
    ...(j.original_inference_steps === undefined || j.original_inference_steps === null
      ? {}
      : { originalInferenceSteps: read(j, 'original_inference_steps', 50, (v) => Number.isInteger(v) && (v as number) >= 1, 'a positive integer') }),
    ...(j.timestep_scaling === undefined || j.timestep_scaling === null
      ? {}
      : { timestepScaling: read(j, 'timestep_scaling', 10, (v) => typeof v === 'number' && v > 0, 'a positive number') }),
    ...(j.clip_sample === undefined || j.clip_sample === null ? {} : { clipSample: read(j, 'clip_sample', false, isBoolean, 'true or false') }),
  };
  if (j.clip_sample_range !== undefined && j.clip_sample_range !== 1) fail('"clip_sample_range" other than 1 is not supported.');
  if (config.betaStart >= config.betaEnd) fail(`"beta_start" (${config.betaStart}) must be below "beta_end" (${config.betaEnd}).`);
  return config;
}
