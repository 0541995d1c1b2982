/**
 * The ModelSpec the picker stands for: a preset, or a folder typed as a URL. A typed folder's
 * precision is unknown, so it is offered as fp32 (the engine loads whatever the folder holds; the
 * ONNX files' own input types decide fp16 vs fp32 at run time).
 */
import type { ModelSpec } from '../engine/model-spec.js';
import type { ModelPreset } from '../presets/model-preset.js';
import { modelNameFromUrl, normaliseModelUrl } from '../store/model-url.js';
import { CUSTOM_MODEL_ID, fromRequest, type FormValues } from './form-values.js';

export function modelSpecFor(modelId: string, customUrl: string, presets: readonly ModelPreset[]): ModelPreset | null {
  if (modelId === CUSTOM_MODEL_ID) {
    let url: string;
    try {
      url = normaliseModelUrl(customUrl);
    } catch {
      return null;
    }
    return { id: `${CUSTOM_MODEL_ID}:${url}`, label: modelNameFromUrl(url), urls: { fp32: url } };
  }
  return presets.find((spec) => spec.id === modelId) ?? null;
}

/** Presets whose folders are served by the app itself load without asking (small, offline). */
export function isBundled(spec: ModelSpec, pageUrl: string): boolean {
  const origin = new URL(pageUrl).origin;
  return Object.values(spec.urls).every((url) => url === undefined || new URL(url, pageUrl).origin === origin);
}

/** The form values a model recommends. */
export function recommendedValues(spec: ModelPreset): Partial<FormValues> {
  return spec.recommended ? fromRequest(spec.recommended) : {};
}
