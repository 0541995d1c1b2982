/**
 * Back to form values: from a request (a gallery entry: no parsing, the request is at hand) or from
 * the `parameters` chunk of a PNG made here or by AUTOMATIC1111. A1111 names samplers by label ("Euler a", "DPM++ 2M") and,
 * since v1.6, writes the noise schedule apart ("Sampler: DPM++ 2M, Schedule type: Karras"); "PLMS"
 * is its name for the pseudo linear multistep method that diffusers calls PNDM (without the
 * Runge-Kutta warm-up, as SD's scheduler config sets). "Denoising strength" (img2img / inpainting)
 * restores the strength; the picture itself is not in the text. What cannot be restored is said, not hidden.
 */
import type { GenerationParameters, ParsedGenerationParameters } from '../core/parameters.js';
import { schedulerFromLabel } from '../core/schedulers/index.js';
import type { SchedulerName } from '../core/schedulers/scheduler.js';
import type { ResolvedRequest } from '../engine/request/request.js';
import type { ModelPreset } from '../presets/model-preset.js';
import { fromRequest, type FormValues } from './form-values.js';

export interface RestoreResult {
  values: Partial<FormValues>;
  /** Plain sentences about what was not restored. */
  notes: string[];
}

/** Settings that only describe the image (or are carried out anyway), not worth a note. */
const HARMLESS_EXTRAS = new Set(['Model hash', 'Version', 'Schedule type', 'VAE hash', 'Seed resize from', 'VAE Encoder']);

const ALIASES: Record<string, SchedulerName> = { plms: 'pndm' };

/** The scheduler for an A1111 sampler label (case-insensitive), honouring "Schedule type". */
export function schedulerForSampler(sampler: string, scheduleType?: string): SchedulerName | null {
  const schedule = scheduleType?.trim().toLowerCase();
  if (schedule && schedule !== 'automatic' && schedule !== 'uniform') {
    const combined = schedulerFromLabel(`${sampler.trim()} ${schedule}`);
    if (combined) return combined;
  }
  return schedulerFromLabel(sampler) ?? ALIASES[sampler.trim().toLowerCase()] ?? null;
}

/** The preset whose folder URL ends with the model's name (the weight store names a model by its folder). */
export function presetForModel(model: string, presets: readonly ModelPreset[]): ModelPreset | null {
  if (!model) return null;
  return (
    presets.find((spec) => spec.id === model || Object.values(spec.urls).some((url) => url !== undefined && trimSlash(url).endsWith(`/${trimSlash(model)}`))) ?? null
  );
}

/** Form values for a request this app made (a gallery entry), model included. */
export function restoreRequest(request: ResolvedRequest, model: string, presets: readonly ModelPreset[]): RestoreResult {
  // Entries saved before the prompt-syntax setting existed were generated with the plain syntax.
  const values = { ...fromRequest(request), promptSyntax: request.promptSyntax ?? 'plain', decoder: request.decoder ?? ('full' as const) };
  const notes: string[] = [];
  if (request.seed === null) notes.push('It was made from given initial latents, not a seed: the seed was left as it was.');
  if (request.strength !== undefined) notes.push(pictureNote(request.strength));
  const preset = presetForModel(model, presets);
  if (preset) values.modelId = preset.id;
  else if (model) notes.push(`It was made with the model "${model}"; the model picker was left as it was, so the picture may differ.`);
  return { values, notes };
}

/** Form values for AUTOMATIC1111 infotext (this app's PNGs, or A1111's and its forks'). */
export function restoreParameters(p: GenerationParameters | ParsedGenerationParameters, presets: readonly ModelPreset[]): RestoreResult {
  const extra = 'extra' in p ? p.extra : {};
  const notes: string[] = [];
  const values: Partial<FormValues> = {
    prompt: p.prompt,
    negativePrompt: p.negativePrompt,
    // A PNG's text says its syntax (A1111's own mean a1111); gallery entries made before the setting existed were plain.
    promptSyntax: p.promptSyntax ?? 'plain',
    steps: p.steps,
    guidanceScale: p.guidanceScale,
    seed: p.seed,
    width: p.width,
    height: p.height,
  };
  // A1111's "VAE Decoder" (TAESD: the tiny decoder); absent means Full, as A1111 reads it.
  const vaeDecoder = 'vaeDecoder' in p && p.vaeDecoder !== undefined ? p.vaeDecoder : 'Full';
  if (vaeDecoder === 'TAESD' || vaeDecoder === 'Full') values.decoder = vaeDecoder === 'TAESD' ? 'tiny' : 'full';
  else notes.push(`The VAE decoder "${vaeDecoder}" is not available here, so the final decode was left as it was.`);
  // A1111 writes "Denoising strength" for its hires fix too (txt2img, with "Hires upscale"): not a picture's.
  const hiresFix = Object.keys(extra).some((key) => key.startsWith('Hires '));
  if (p.denoisingStrength !== undefined && !hiresFix) {
    values.strength = p.denoisingStrength;
    notes.push(pictureNote(p.denoisingStrength));
  }

  const scheduler = schedulerForSampler(p.sampler, extra['Schedule type']);
  if (scheduler) values.scheduler = scheduler;
  else notes.push(`The sampler "${p.sampler}" is not available here, so the sampler was left as it was.`);

  const preset = presetForModel(p.model, presets);
  if (preset) values.modelId = preset.id;
  else if (p.model) notes.push(`It was made with the model "${p.model}"; the model picker was left as it was, so the picture may differ.`);

  if (p.width % 8 !== 0 || p.height % 8 !== 0) notes.push(`Its size ${p.width}x${p.height} is not a multiple of 8: fix width and height before generating.`);

  const ignored = Object.keys(extra).filter((key) => !HARMLESS_EXTRAS.has(key));
  if (ignored.length > 0) notes.push(`Settings this engine does not have were ignored: ${ignored.join(', ')}.`);
  return { values, notes };
}

/** A picture-mode image: its strength is restored, its picture (and mask) cannot be. */
function pictureNote(strength: number): string {
  return `It was made from a picture (denoising strength ${strength}, restored): pick that picture (and paint its mask) under "Start from a picture" to make it again.`;
}

function trimSlash(text: string): string {
  return text.replace(/\/+$/, '');
}
