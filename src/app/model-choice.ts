/**
 * The ModelSpec the picker stands for: a preset, or a folder typed as a URL. A typed folder's
 * precision is unknown, so it is offered as fp32 (the engine loads whatever the folder holds; the
 * ONNX files' own input types decide fp16 vs fp32 at run time).
 */
import { isSchedulerName } from '../core/schedulers/index.js';
import type { ModelSpec } from '../engine/model-spec.js';
import { modelNameFromUrl, normaliseModelUrl } from '../store/model-url.js';
import { CUSTOM_MODEL_ID, type FormValues } from './form-values.js';

export function modelSpecFor(modelId: string, customUrl: string, presets: readonly ModelSpec[]): ModelSpec | null {
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

/** The form values a model recommends (a scheduler name the engine lacks is left out). */
export function recommendedValues(spec: ModelSpec): Partial<FormValues> {
  if (!spec.recommended) return {};
  const { scheduler, steps, guidanceScale, width, height } = spec.recommended;
  const values: Partial<FormValues> = { steps, guidanceScale, width, height };
  if (isSchedulerName(scheduler)) values.scheduler = scheduler;
  return values;
}
