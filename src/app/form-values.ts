/**
 * The generation form as plain data: its values, their validation and the engine request one image
 * of a batch makes. The request fields are checked by the engine's one validator (validateRequest,
 * the same limits and words as the CLI and the element), against the loaded model's geometry (its
 * size multiple); the form adds only its own fields (custom URL, batch count, VAE preview interval)
 * and, in the picture modes, that a picture is there (and, to inpaint, a painted mask).
 * The form's names map to the request's once, here (steps -> numInferenceSteps). No DOM here.
 */
import { parseDecimal } from '../core/decimal.js';
import { imageInputRefusal } from '../engine/model/model-parts.js';
import type { RgbaImage } from '../core/init-image.js';
import type { PromptSyntax } from '../core/prompt-syntax.js';
import type { SchedulerName } from '../core/schedulers/scheduler.js';
import { ANY_SD_V1_GEOMETRY, type ModelGeometry } from '../engine/model/model-geometry.js';
import {
  RANDOM_SEED,
  validateRequest,
  type Decoder,
  type GenerationRequest,
  type RequestField,
  type ResolvedRequest,
  type TimestepSpacing,
} from '../engine/request/request.js';
import type { PreviewOptions } from '../engine/engine.js';
import { normaliseModelUrl } from '../engine/model/model-url.js';

/** The model picker's value for "a folder at a URL I type". */
export const CUSTOM_MODEL_ID = 'custom';

/** Text to image; image to image (start from a picture); inpaint (repaint the painted part of it). */
export type ImageMode = 'txt2img' | 'img2img' | 'inpaint';
export const IMAGE_MODES: readonly ImageMode[] = ['txt2img', 'img2img', 'inpaint'];

/** What the "Start from a picture" panel holds: the decoded picture, and the mask when something is painted. */
export interface PictureInputs {
  initImage: RgbaImage | null;
  /** White = repaint, at the picture's size; null when nothing is painted. */
  mask: RgbaImage | null;
}

export const NO_PICTURE: PictureInputs = { initImage: null, mask: null };

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
  /** DDIM's eta / TCD's gamma, 0 to 1 (0: deterministic; sent only when not 0). */
  eta: number;
  /** '' keeps the model's timestep spacing; else it overrides it for every sampler. */
  timestepSpacing: TimestepSpacing | '';
  /** RANDOM_SEED (-1) for a fresh random seed per run. */
  seed: number;
  width: number;
  height: number;
  batchCount: number;
  /** With preview 'vae': a full VAE decode every N steps (the cheap preview between). */
  vaeDecodeEvery: number;
  /** The step previews: the tiny decoder's picture (the cheap one without taesd_decoder/), the cheap latent one, full VAE every N, none. */
  preview: PreviewSetting;
  /** The final decode: the model's VAE, or the tiny autoencoder (taesd_decoder/). */
  decoder: Decoder;
  mode: ImageMode;
  /** A1111's "Denoising strength", (0, 1]: the share of the schedule that runs (picture modes only). */
  strength: number;
}

export type PreviewSetting = 'tiny' | 'latent' | 'vae' | 'none';
export const PREVIEW_SETTINGS: readonly PreviewSetting[] = ['tiny', 'latent', 'vae', 'none'];

/** The engine's preview options for the form's preview setting (the one mapping between the two). */
export function previewOptions(v: Pick<FormValues, 'preview' | 'vaeDecodeEvery'>): PreviewOptions {
  if (v.preview === 'none') return { previewEvery: 0, vaeDecodeEvery: 0, preview: 'none' };
  if (v.preview === 'vae') return { previewEvery: 1, vaeDecodeEvery: v.vaeDecodeEvery, preview: 'latent' };
  return { previewEvery: 1, vaeDecodeEvery: 0, preview: v.preview };
}

/**
 * A number field's text as FormValues holds it: plain decimal digits (core/decimal.ts), as the element's
 * attributes and the CLI's flags read them; NaN for an empty field and for anything else (an
 * `<input type="number">` also lets `1e3` through, which Number() reads as 1000), so the validator refuses it.
 */
export function formNumber(text: string): number {
  return parseDecimal(text) ?? Number.NaN;
}

/** A form field, or the panel's picture and mask (which show their errors too). */
export type FormField = keyof FormValues | 'initImage' | 'mask';

export interface FieldError {
  field: FormField;
  message: string;
}

/** The form's own limits (the request's are the engine's LIMITS). */
export const FORM_LIMITS = {
  batchCount: { min: 1, max: 16 },
  vaeDecodeEvery: { min: 0, max: 1000 },
} as const;

/** Request field -> form field (the one mapping between the two vocabularies). */
const FORM_FIELD: Record<RequestField, FormField> = {
  prompt: 'prompt',
  negativePrompt: 'negativePrompt',
  promptSyntax: 'promptSyntax',
  scheduler: 'scheduler',
  numInferenceSteps: 'steps',
  guidanceScale: 'guidanceScale',
  eta: 'eta',
  timestepSpacing: 'timestepSpacing',
  seed: 'seed',
  latents: 'seed',
  width: 'width',
  height: 'height',
  initImage: 'initImage',
  mask: 'mask',
  strength: 'strength',
  decoder: 'decoder',
};

/**
 * Every problem with the form, for a model of `model`'s geometry (before one is loaded: what every
 * SD v1 model shares; the engine checks the loaded model's again before any work). `urlNeeded`: the
 * choice needs a typed folder URL (a folder by URL, or a preset with `askUrl`; see needsUrl).
 */
/**
 * `imageRefusal`: why the loaded model cannot start from a picture (engine/model-parts.ts: no
 * vae_encoder/), or null; the picture modes are then refused at Generate, before any work.
 */
export function validateForm(
  v: FormValues,
  model: ModelGeometry = ANY_SD_V1_GEOMETRY,
  urlNeeded = v.modelId === CUSTOM_MODEL_ID,
  picture: PictureInputs = NO_PICTURE,
  imageRefusal: string | null = null,
): FieldError[] {
  const errors: FieldError[] = [];
  const integerIn = (field: keyof FormValues, label: string, value: number, { min, max }: { min: number; max: number }) => {
    if (!Number.isInteger(value) || value < min || value > max)
      errors.push({ field, message: `${label} must be a whole number from ${min} to ${max} (got ${value}).` });
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
  if (!IMAGE_MODES.includes(v.mode)) errors.push({ field: 'mode', message: `The mode must be one of ${IMAGE_MODES.join(', ')} (got "${String(v.mode)}").` });
  const imageMode = v.mode === 'img2img' || v.mode === 'inpaint';
  if (imageMode && imageRefusal !== null) {
    errors.push({ field: 'mode', message: imageRefusal });
  } else if (imageMode && !picture.initImage) {
    errors.push({
      field: 'initImage',
      message:
        'Pick a picture to start from (PNG, JPEG or WebP; drop it on the picture box or use "Use as input" on a gallery image), or choose "Text to image".',
    });
  } else if (v.mode === 'inpaint' && !picture.mask) {
    errors.push({
      field: 'mask',
      message: 'Paint over the part of the picture to repaint (it shows striped), or choose "Image to image" to change all of it.',
    });
  }
  // RANDOM_SEED is the form's way to ask for a seed; any drawn seed is valid, so check with 0.
  const request = toRequest(v, v.seed === RANDOM_SEED ? 0 : v.seed, picture);
  for (const error of validateRequest(request, model)) {
    // The output takes the picture's size: a size the model cannot take is said once, about the picture.
    if (request.initImage && (error.field === 'width' || error.field === 'height')) continue;
    errors.push({ field: FORM_FIELD[error.field], message: error.message });
  }
  integerIn('batchCount', 'Batch count', v.batchCount, FORM_LIMITS.batchCount);
  integerIn('vaeDecodeEvery', 'VAE decode interval', v.vaeDecodeEvery, FORM_LIMITS.vaeDecodeEvery);
  if (!PREVIEW_SETTINGS.includes(v.preview))
    errors.push({ field: 'preview', message: `The preview must be one of ${PREVIEW_SETTINGS.join(', ')} (got "${String(v.preview)}").` });
  else if (v.preview === 'vae' && v.vaeDecodeEvery < 1)
    errors.push({ field: 'vaeDecodeEvery', message: 'With the full VAE preview, decode every N steps: N must be at least 1.' });
  return errors;
}

export const MODE_HINT = 'Image to image and inpainting start from a picture; the output takes its size.';

/** The hint under the mode picker: the engine's own refusal (model-parts.ts) when the loaded model cannot start from a picture. */
export function modeHint(model: { name: string; hasVaeEncoder: boolean } | null): string {
  return (model && imageInputRefusal(model.name, model.hasVaeEncoder)?.message) ?? MODE_HINT;
}

/**
 * The engine request for one image, with its resolved seed. In the picture modes (with a picture) it
 * carries the picture, the strength and, to inpaint, the mask; the output takes the picture's size,
 * so width and height are left out.
 */
export function toRequest(v: FormValues, seed: number, picture: PictureInputs = NO_PICTURE): GenerationRequest {
  const common = {
    prompt: v.prompt,
    negativePrompt: v.negativePrompt,
    promptSyntax: v.promptSyntax,
    scheduler: v.scheduler,
    numInferenceSteps: v.steps,
    guidanceScale: v.guidanceScale,
    ...(v.eta !== 0 ? { eta: v.eta } : {}),
    ...(v.timestepSpacing !== '' ? { timestepSpacing: v.timestepSpacing } : {}),
    seed,
    ...(v.decoder === 'tiny' ? { decoder: 'tiny' as const } : {}),
  };
  const { initImage, mask } = picture;
  if (v.mode === 'txt2img' || !initImage) return { ...common, width: v.width, height: v.height };
  return { ...common, initImage, strength: v.strength, ...(v.mode === 'inpaint' && mask ? { mask } : {}) };
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
    eta: r.eta,
    timestepSpacing: r.timestepSpacing,
    seed: r.seed ?? undefined,
    width: r.width,
    height: r.height,
    strength: r.strength,
    decoder: r.decoder,
  };
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<FormValues>;
}
