/**
 * The generation form as plain data: its values, their validation and the engine request one image
 * of a batch makes. The request fields are checked by the engine's one validator (validateRequest,
 * the same limits and words as the CLI and the element), against the loaded model's geometry (its
 * size multiple); the form adds only its own fields (custom URL, batch count, VAE preview interval).
 * The form's names map to the request's once, here (steps -> numInferenceSteps). No DOM here.
 */
import { isPromptSyntax, PROMPT_SYNTAXES, type PromptSyntax } from '../core/prompt-syntax.js';
import type { SchedulerName } from '../core/schedulers/scheduler.js';
import { ANY_SD_V1_GEOMETRY, type ModelGeometry } from '../engine/model-geometry.js';
import { RANDOM_SEED, validateRequest, type GenerationRequest, type RequestField, type ResolvedRequest } from '../engine/request.js';
import { normaliseModelUrl } from '../store/model-url.js';

/** The model picker's value for "a folder at a URL I type". */
export const CUSTOM_MODEL_ID = 'custom';

export interface FormValues {
  /** A preset id, or CUSTOM_MODEL_ID. */
  modelId: string;
  customUrl: string;
  prompt: string;
  negativePrompt: string;
  /** How the prompts are read; the app's default is 'a1111' (what users paste). */
  promptSyntax: PromptSyntax;
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

/** The form's own limits (the request's are the engine's LIMITS). */
export const FORM_LIMITS = {
  batchCount: { min: 1, max: 16 },
  vaeDecodeEvery: { min: 0, max: 1000 },
} as const;

/** Request field -> form field (the one mapping between the two vocabularies). */
const FORM_FIELD: Record<RequestField, keyof FormValues> = {
  prompt: 'prompt',
  negativePrompt: 'negativePrompt',
  promptSyntax: 'promptSyntax',
  scheduler: 'scheduler',
  numInferenceSteps: 'steps',
  guidanceScale: 'guidanceScale',
  seed: 'seed',
  latents: 'seed',
  width: 'width',
  height: 'height',
  // the picture, mask and strength live in the "Start from a picture" panel (image-input.ts), which
  // checks them itself; a size problem of the picture is shown at the size fields it sets
  initImage: 'width',
  mask: 'width',
  strength: 'steps',
};

/**
 * Every problem with the form, for a model of `model`'s geometry (before one is loaded: what every
 * SD v1 model shares; the engine checks the loaded model's again before any work). `urlNeeded`: the
 * choice needs a typed folder URL (a folder by URL, or a preset with `askUrl`; see needsUrl).
 */
export function validateForm(v: FormValues, model: ModelGeometry = ANY_SD_V1_GEOMETRY, urlNeeded = v.modelId === CUSTOM_MODEL_ID): FieldError[] {
  const errors: FieldError[] = [];
  const integerIn = (field: keyof FormValues, label: string, value: number, { min, max }: { min: number; max: number }) => {
    if (!Number.isInteger(value) || value < min || value > max) errors.push({ field, message: `${label} must be a whole number from ${min} to ${max} (got ${value}).` });
  };
  if (urlNeeded) {
    if (v.customUrl.trim() === '') errors.push({ field: 'customUrl', message: 'Type the URL of a model folder (the folder holding model_index.json).' });
    else {
      try {
        normaliseModelUrl(v.customUrl);
      } catch (error) {
        errors.push({ field: 'customUrl', message: (error as Error).message });
      }
    }
  }
  // RANDOM_SEED is the form's way to ask for a seed; any drawn seed is valid, so check with 0.
  const request = toRequest(v, v.seed === RANDOM_SEED ? 0 : v.seed);
  for (const error of validateRequest(request, model)) errors.push({ field: FORM_FIELD[error.field], message: error.message });
  integerIn('batchCount', 'Batch count', v.batchCount, FORM_LIMITS.batchCount);
  integerIn('vaeDecodeEvery', 'VAE decode interval', v.vaeDecodeEvery, FORM_LIMITS.vaeDecodeEvery);
  return errors;
}

/** The engine request for one image, with its resolved seed. */
export function toRequest(v: FormValues, seed: number): GenerationRequest {
  return {
    prompt: v.prompt,
    negativePrompt: v.negativePrompt,
    promptSyntax: v.promptSyntax,
    scheduler: v.scheduler,
    numInferenceSteps: v.steps,
    guidanceScale: v.guidanceScale,
    seed,
    width: v.width,
    height: v.height,
  };
}

/** The form values a request stands for (a gallery entry, a preset's recommendation). */
export function fromRequest(r: Partial<ResolvedRequest>): Partial<FormValues> {
  const values: Partial<FormValues> = {
    prompt: r.prompt,
    negativePrompt: r.negativePrompt,
    promptSyntax: r.promptSyntax,
    scheduler: r.scheduler,
    steps: r.numInferenceSteps,
    guidanceScale: r.guidanceScale,
    seed: r.seed ?? undefined,
    width: r.width,
    height: r.height,
  };
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<FormValues>;
}
