/**
 * The generation form as plain data: its values, their validation (concise messages, never silent
 * correction, as the engine's resolveRequest does) and the engine request one image of a batch makes.
 * No DOM here: form.ts reads and writes these values from the page.
 */
import type { SchedulerName } from '../core/schedulers/scheduler.js';
import type { GenerationRequest } from '../engine/request.js';
import { MAX_SEED } from '../engine/request.js';
import { normaliseModelUrl } from '../store/model-url.js';
import { RANDOM_SEED } from './seed.js';

/** The model picker's value for "a folder at a URL I type". */
export const CUSTOM_MODEL_ID = 'custom';

export interface FormValues {
  /** A preset id, or CUSTOM_MODEL_ID. */
  modelId: string;
  customUrl: string;
  prompt: string;
  negativePrompt: string;
  scheduler: SchedulerName;
  steps: number;
  guidanceScale: number;
  /** RANDOM_SEED (-1) for a fresh random seed per run. */
  seed: number;
  width: number;
  height: number;
  batchCount: number;
  /** Full VAE decode preview every N steps; 0 never. */
  vaeDecodeEvery: number;
}

export interface FieldError {
  field: keyof FormValues;
  message: string;
}

export const LIMITS = {
  steps: { min: 1, max: 150 },
  guidanceScale: { min: 0, max: 30 },
  size: { min: 64, max: 2048 },
  batchCount: { min: 1, max: 16 },
  vaeDecodeEvery: { min: 0, max: 150 },
} as const;

export function validateForm(v: FormValues): FieldError[] {
  const errors: FieldError[] = [];
  const integerIn = (field: keyof FormValues, label: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) errors.push({ field, message: `${label} must be a whole number from ${min} to ${max}.` });
  };
  if (v.modelId === CUSTOM_MODEL_ID) {
    if (v.customUrl.trim() === '') errors.push({ field: 'customUrl', message: 'Type the URL of a model folder (the folder holding model_index.json).' });
    else {
      try {
        normaliseModelUrl(v.customUrl);
      } catch (error) {
        errors.push({ field: 'customUrl', message: (error as Error).message });
      }
    }
  }
  if (v.prompt.trim() === '') errors.push({ field: 'prompt', message: 'Write a prompt: what the picture should show.' });
  integerIn('steps', 'Steps', v.steps, LIMITS.steps.min, LIMITS.steps.max);
  if (!Number.isFinite(v.guidanceScale) || v.guidanceScale < LIMITS.guidanceScale.min || v.guidanceScale > LIMITS.guidanceScale.max) {
    errors.push({ field: 'guidanceScale', message: `Guidance scale must be a number from ${LIMITS.guidanceScale.min} to ${LIMITS.guidanceScale.max}.` });
  }
  for (const [field, label] of [['width', 'Width'], ['height', 'Height']] as const) {
    const value = v[field];
    integerIn(field, label, value, LIMITS.size.min, LIMITS.size.max);
    if (Number.isInteger(value) && value % 8 !== 0) {
      const down = Math.max(LIMITS.size.min, value - (value % 8));
      errors.push({ field, message: `${label} must be a multiple of 8 (the VAE works on 8x8 blocks): try ${down} or ${down + 8}.` });
    }
  }
  if (v.seed !== RANDOM_SEED) integerIn('seed', 'Seed', v.seed, 0, MAX_SEED);
  integerIn('batchCount', 'Batch count', v.batchCount, LIMITS.batchCount.min, LIMITS.batchCount.max);
  integerIn('vaeDecodeEvery', 'VAE decode interval', v.vaeDecodeEvery, LIMITS.vaeDecodeEvery.min, LIMITS.vaeDecodeEvery.max);
  return errors;
}

/** The engine request for one image, with its resolved seed. */
export function toRequest(v: FormValues, seed: number): GenerationRequest {
  return {
    prompt: v.prompt,
    negativePrompt: v.negativePrompt,
    scheduler: v.scheduler,
    numInferenceSteps: v.steps,
    guidanceScale: v.guidanceScale,
    seed,
    width: v.width,
    height: v.height,
  };
}
