/**
 * From the element's attributes to a GenerationRequest, checked up front with errors that name the
 * attribute (instead of silent correction). An absent attribute means "what the model recommends"
 * (a preset's `recommended` settings), else the engine's defaults (diffusers' for SD v1.4).
 */
import { InvalidRequestError } from '../core/errors.js';
import { isSchedulerName, SCHEDULER_NAMES } from '../core/schedulers/index.js';
import type { LoadedModel } from '../engine/engine.js';
import type { ModelSpec } from '../engine/model-spec.js';
import { DEFAULTS, MAX_SEED, type GenerationRequest } from '../engine/request.js';
import { modelNameFromUrl, normaliseModelUrl } from '../store/model-url.js';

/** The preset an element without a `model` attribute uses: the demo bundled with the library. */
export const DEFAULT_MODEL = 'shapes-sd';

/** `seed="-1"` (or no seed) asks for a new random seed per image, as in AUTOMATIC1111. */
export const RANDOM_SEED = -1;

/** The attributes that hold numbers. */
export type NumberAttribute = 'steps' | 'guidance' | 'seed' | 'width' | 'height';

/** A number attribute's value: null when absent or empty, NaN when it is not a number. */
export function parseNumberAttribute(value: string | null): number | null {
  if (value === null || value.trim() === '') return null;
  return Number(value);
}

/** A boolean "on/off" attribute: present means on, except the values "off" and "false". */
export function parseSwitchAttribute(value: string | null): boolean {
  return value !== null && !/^(off|false)$/i.test(value.trim());
}

/**
 * The model an element names: a preset id (its folder resolved against `presetBase`, the library's
 * own URL) or a model folder URL (resolved against the page, `pageUrl`).
 */
export function resolveModel(value: string | null, presets: readonly ModelSpec[], pageUrl: string): ModelSpec {
  const name = value?.trim() || DEFAULT_MODEL;
  const preset = presets.find((spec) => spec.id === name);
  if (preset) return preset;
  if (!name.includes('/')) {
    throw new InvalidRequestError(`Unknown model "${name}": use a preset (${presets.map((spec) => spec.id).join(', ')}) or the URL of a model folder.`);
  }
  const url = normaliseModelUrl(name, pageUrl);
  return { id: url, label: modelNameFromUrl(url), urls: { fp32: url } };
}

export interface AttributeReader {
  (name: 'prompt' | 'negative-prompt' | 'scheduler' | NumberAttribute): string | null;
}

/** The request an element's attributes describe, for `model` once it is loaded. `randomSeed` picks seeds for seed=-1. */
export function requestFromAttributes(read: AttributeReader, spec: ModelSpec, model: Pick<LoadedModel, 'defaultWidth' | 'defaultHeight'>, randomSeed: () => number): GenerationRequest {
  const recommended = spec.recommended;
  const number = (name: NumberAttribute, { integer, min, max }: { integer: boolean; min: number; max: number }): number | null => {
    const raw = read(name);
    const value = parseNumberAttribute(raw);
    if (value === null) return null;
    const kind = integer ? 'a whole number' : 'a number';
    if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
      const hint = name === 'seed' ? ' (-1: a random seed)' : '';
      throw new InvalidRequestError(`The ${name} attribute must be ${kind} from ${min} to ${max}${hint} (got "${raw}").`);
    }
    return value;
  };

  const scheduler = read('scheduler')?.trim() || (recommended && isSchedulerName(recommended.scheduler) ? recommended.scheduler : DEFAULTS.scheduler);
  if (!isSchedulerName(scheduler)) throw new InvalidRequestError(`The scheduler attribute must be one of ${SCHEDULER_NAMES.join(', ')} (got "${scheduler}").`);
  const steps = number('steps', { integer: true, min: 1, max: 1000 }) ?? recommended?.steps ?? DEFAULTS.numInferenceSteps;
  const guidanceScale = number('guidance', { integer: false, min: 0, max: 50 }) ?? recommended?.guidanceScale ?? DEFAULTS.guidanceScale;
  const width = number('width', { integer: true, min: 8, max: 2048 }) ?? recommended?.width ?? model.defaultWidth;
  const height = number('height', { integer: true, min: 8, max: 2048 }) ?? recommended?.height ?? model.defaultHeight;
  for (const [name, value] of [['width', width], ['height', height]] as const) {
    if (value % 8 !== 0) throw new InvalidRequestError(`The ${name} attribute must be a multiple of 8 (got ${value}).`);
  }
  const seedValue = number('seed', { integer: true, min: RANDOM_SEED, max: MAX_SEED }) ?? RANDOM_SEED;
  const seed = seedValue === RANDOM_SEED ? randomSeed() : seedValue;

  return {
    prompt: read('prompt') ?? '',
    negativePrompt: read('negative-prompt') ?? '',
    scheduler,
    numInferenceSteps: steps,
    guidanceScale,
    seed,
    width,
    height,
  };
}

/** A random seed in [0, 2^32), as AUTOMATIC1111 draws them (crypto, not Math.random: surfaces pick seeds, the engine never does). */
export function cryptoRandomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}
