/**
 * From the element's attributes to a GenerationRequest: the attribute names map once to the
 * request's (steps -> numInferenceSteps, guidance -> guidanceScale, negative-prompt ->
 * negativePrompt), then the engine's one validator (validateRequest) checks it, so the element
 * refuses exactly what the CLI and the app's form refuse, in the same words. An absent attribute
 * means "what the model recommends" (a preset's `recommended` settings, and once the model is loaded the
 * folder's own: an LCM-distilled UNet's LCM, 4 steps, guidance 1, engine/model/model-recommendation.ts,
 * as the app sets them), else the engine's defaults (for the size: the loaded model's default size; with
 * an init image, the picture's size). An attribute the page set always wins.
 * img2img / inpainting: the decoded init image and mask (image-inputs.ts) join the request with the
 * `strength` attribute (default 0.75, diffusers' and A1111's).
 */
import { parseDecimal } from '../core/decimal.js';
import { InvalidRequestError } from '../core/errors.js';
import type { PromptSyntax } from '../core/prompt-syntax.js';
import type { ModelGeometry } from '../engine/model/model-geometry.js';
import type { RgbaImage } from '../core/init-image.js';
import { type SchedulerSettings, withRecommendation } from '../engine/model/model-recommendation.js';
import { DEFAULT_STRENGTH } from '../engine/request/image-request.js';
import { RANDOM_SEED, validateRequest, type GenerationRequest } from '../engine/request/request.js';
import { presetGeometry, type ModelPreset } from '../presets/model-preset.js';
import { modelNameFromUrl, normaliseModelUrl } from '../engine/model/model-url.js';

/** The preset an element without a `model` attribute uses: the demo bundled with the library. */
export const DEFAULT_MODEL = 'shapes-sd';

/** Elements read prompts as users paste them: AUTOMATIC1111's syntax (the CLI's default is plain). */
export const DEFAULT_PROMPT_SYNTAX: PromptSyntax = 'a1111';

/** The attributes that hold numbers. */
export type NumberAttribute = 'steps' | 'guidance' | 'eta' | 'seed' | 'width' | 'height' | 'strength';

export { DEFAULT_STRENGTH };

/**
 * A number attribute's value: null when absent or empty, NaN when it is not a plain decimal number
 * (core/decimal.ts: `20`, `7.5`, `-1`, `0.75`; never what Number() also reads: `0x80`, `0b1`, `1e3`,
 * ` 20`, `Infinity`). -0 reads as 0.
 */
export function parseNumberAttribute(value: string | null): number | null {
  if (value === null || value.trim() === '') return null;
  return (parseDecimal(value) ?? Number.NaN) + 0;
}

/**
 * The strength attribute: undefined when absent (the engine's default, 0.75), else a number in (0, 1]
 * (checked with or without an init image: a bad value is refused, never ignored).
 */
export function parseStrengthAttribute(value: string | null): number | undefined {
  const strength = parseNumberAttribute(value);
  if (strength === null) return undefined;
  if (!(strength > 0 && strength <= 1)) {
    throw new InvalidRequestError(`The strength attribute must be a number in (0, 1], how much of the picture is repainted (got "${value}").`, 'strength');
  }
  return strength;
}

/** A boolean "on/off" attribute: present means on, except the values "off" and "false". */
export function parseSwitchAttribute(value: string | null): boolean {
  return value !== null && !/^(off|false)$/i.test(value.trim());
}

/**
 * The model an element names: a preset id (its folder resolved against `presetBase`, the library's
 * own URL) or a model folder URL (resolved against the page, `pageUrl`).
 */
export function resolveModel(value: string | null, presets: readonly ModelPreset[], pageUrl: string): ModelPreset {
  const name = value?.trim() || DEFAULT_MODEL;
  const preset = presets.find((spec) => spec.id === name);
  if (preset?.askUrl) {
    throw new InvalidRequestError(`The ${name} preset has no folder we can serve: set model to the URL of your own folder (${preset.askUrl})`);
  }
  if (preset) return preset;
  if (!name.includes('/')) {
    throw new InvalidRequestError(`Unknown model "${name}": use a preset (${presets.map((spec) => spec.id).join(', ')}) or the URL of a model folder.`);
  }
  const url = normaliseModelUrl(name, pageUrl);
  return { id: url, label: modelNameFromUrl(url), urls: { fp32: url } };
}

export type AttributeReader = (
  name: 'prompt' | 'negative-prompt' | 'prompt-syntax' | 'scheduler' | 'timestep-spacing' | 'decoder' | NumberAttribute,
) => string | null;

/** The decoded pictures of an img2img / inpainting request (image-inputs.ts); none for text-to-image. */
export interface ImageFields {
  initImage?: RgbaImage | null;
  mask?: RgbaImage | null;
}

/**
 * The request an element's attributes describe for `preset`; `randomSeed` picks the seed for
 * seed=-1 (or no seed). With `images.initImage` it is img2img (inpainting with `images.mask` too):
 * the size is the picture's unless width / height attributes ask for another (then refused: resize
 * the picture), and `strength` joins. Throws InvalidRequestError (with the request field) for an
 * attribute that is not a number, a strength outside (0, 1], or the validator's first field error
 * against `model` (before loading, the preset's declared size rule, else what every SD v1 model
 * shares; the engine checks the loaded model's again before any work).
 */
export function requestFromAttributes(
  read: AttributeReader,
  preset: ModelPreset,
  randomSeed: () => number,
  model: ModelGeometry = presetGeometry(preset),
  images: ImageFields = {},
): GenerationRequest {
  const recommended = preset.recommended;
  const number = (name: NumberAttribute, field: keyof GenerationRequest): number | undefined => {
    const raw = read(name);
    const value = parseNumberAttribute(raw);
    if (value === null) return undefined;
    if (Number.isNaN(value)) throw new InvalidRequestError(`The ${name} attribute must be a decimal number such as 20 or 7.5 (got "${raw}").`, field);
    return value;
  };
  const seed = number('seed', 'seed') ?? RANDOM_SEED;
  const strength = parseStrengthAttribute(read('strength'));
  const initImage = images.initImage ?? undefined;
  // An init image sets the size; the preset's recommended size is for text-to-image only.
  const size = initImage ? undefined : recommended;
  const request: GenerationRequest = {
    prompt: read('prompt') ?? '',
    negativePrompt: read('negative-prompt') ?? '',
    promptSyntax: (read('prompt-syntax')?.trim() || DEFAULT_PROMPT_SYNTAX) as PromptSyntax,
    scheduler: (read('scheduler')?.trim() || recommended?.scheduler) as GenerationRequest['scheduler'],
    numInferenceSteps: number('steps', 'numInferenceSteps') ?? recommended?.numInferenceSteps,
    guidanceScale: number('guidance', 'guidanceScale') ?? recommended?.guidanceScale,
    eta: number('eta', 'eta'),
    timestepSpacing: (read('timestep-spacing')?.trim() || undefined) as GenerationRequest['timestepSpacing'],
    seed: seed === RANDOM_SEED ? randomSeed() : seed,
    width: number('width', 'width') ?? size?.width,
    height: number('height', 'height') ?? size?.height,
    ...(initImage ? { initImage, strength: strength ?? DEFAULT_STRENGTH } : {}),
    decoder: (read('decoder')?.trim() || undefined) as GenerationRequest['decoder'],
    ...(images.mask ? { mask: images.mask } : {}),
  };
  const [error] = validateRequest(request, model);
  if (error) throw new InvalidRequestError(error.message, error.field);
  // Absent fields stay absent: the engine fills in its defaults (and the loaded model's size).
  return Object.fromEntries(Object.entries(request).filter(([, value]) => value !== undefined)) as GenerationRequest;
}

/**
 * The request for the loaded model: the sampler settings its folder recommends (LoadedModel.recommended:
 * an LCM-distilled UNet's scheduler, steps and guidance) replace the preset's or the engine's defaults
 * in the fields whose attribute is absent or empty; a field the page set keeps its value. Without a
 * recommendation the request is returned as it is. The values come from the engine and are valid as they are.
 */
export function withModelRecommendation(request: GenerationRequest, read: AttributeReader, recommended: SchedulerSettings | null): GenerationRequest {
  const given = (name: 'scheduler' | 'steps' | 'guidance') => Boolean(read(name)?.trim());
  return withRecommendation(request, recommended, { scheduler: given('scheduler'), steps: given('steps'), guidance: given('guidance') }).request;
}
