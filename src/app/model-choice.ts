/**
 * The ModelSpec the picker stands for: a preset, a preset whose folder the user gives (`askUrl`,
 * e.g. Stable Diffusion v1.4), or a folder typed as a URL. A typed folder's precision is unknown, so
 * the same URL stands for both: the engine reads the graphs before the weights and refuses an fp16
 * folder where WebGPU lacks shader-f16, and reports the precision the folder really has.
 */
import type { ModelSpec } from '../engine/model/model-spec.js';
import type { ModelPreset } from '../presets/model-preset.js';
import { modelNameFromUrl, normaliseModelUrl } from '../engine/model/model-url.js';
import { CUSTOM_MODEL_ID, fromRequest, type FormValues } from './form-values.js';

export function modelSpecFor(modelId: string, customUrl: string, presets: readonly ModelPreset[]): ModelPreset | null {
  const preset = presets.find((spec) => spec.id === modelId);
  if (modelId !== CUSTOM_MODEL_ID && !preset?.askUrl) return preset ?? null;
  if (customUrl.trim() === '') return null; // not yet typed: '' would resolve to the page itself
  let url: string;
  try {
    url = normaliseModelUrl(customUrl);
  } catch {
    return null;
  }
  const urls = { fp16: url, fp32: url };
  if (preset) return { ...preset, id: `${preset.id}:${url}`, urls };
  return { id: `${CUSTOM_MODEL_ID}:${url}`, label: modelNameFromUrl(url), urls };
}

/** Whether the picker's choice needs a folder URL typed by the user. */
export function needsUrl(modelId: string, presets: readonly ModelPreset[]): boolean {
  return modelId === CUSTOM_MODEL_ID || !!presets.find((spec) => spec.id === modelId)?.askUrl;
}

/** Presets whose folders are served by the app itself load without asking (small, offline). */
export function isBundled(spec: ModelSpec, pageUrl: string): boolean {
  const origin = new URL(pageUrl).origin;
  const urls = Object.values(spec.urls).filter((url) => url !== undefined);
  return urls.length > 0 && urls.every((url) => url === undefined || new URL(url, pageUrl).origin === origin);
}

/** The form values a model recommends. */
export function recommendedValues(spec: ModelPreset): Partial<FormValues> {
  return spec.recommended ? fromRequest(spec.recommended) : {};
}
