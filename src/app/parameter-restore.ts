/**
 * Back to form values: from a request (a gallery entry: no parsing, the request is at hand) or from
 * the `parameters` chunk of a PNG made here or by AUTOMATIC1111. A1111 names samplers by label ("Euler a", "DPM++ 2M") and,
 * since v1.6, writes the noise schedule apart ("Sampler: DPM++ 2M, Schedule type: Karras"); "PLMS"
 * is its name for the pseudo linear multistep method that diffusers calls PNDM (without the
 * Runge-Kutta warm-up, as SD's scheduler config sets). "Denoising strength" (img2img / inpainting)
 * restores the strength; the picture itself is not in the text. "VAE Decoder: TAESD" restores the tiny decoder,
 * which also brings the tiny encoder ("VAE Encoder: TAESD") where the folder has one. What cannot be restored is said, not hidden:
 * numbers out of the engine's range (`Size: 0x0`, `Denoising strength: 5`) are left as they were, with a note.
 */
import { SAMPLER_SETTING_KEYS, type GenerationParameters, type ParsedGenerationParameters } from '../core/parameters.js';
import { schedulerFromLabel } from '../core/schedulers/index.js';
import type { SchedulerName } from '../core/schedulers/scheduler.js';
import { ANY_SD_V1_GEOMETRY } from '../engine/model/model-geometry.js';
import { TIMESTEP_SPACINGS, validateRequest, type RequestField, type ResolvedRequest, type TimestepSpacing } from '../engine/request/request.js';
import type { ModelPreset } from '../presets/model-preset.js';
import { fromRequest, type FormValues } from './form-values.js';

export interface RestoreResult {
  values: Partial<FormValues>;
  /** Plain sentences about what was not restored. */
  notes: string[];
}

/** The form value each checked request field restores, and how a note names it when it is not restored. */
const FORM_KEYS: Partial<Record<RequestField, 'steps' | 'guidanceScale' | 'seed' | 'width' | 'height'>> = {
  numInferenceSteps: 'steps',
  guidanceScale: 'guidanceScale',
  seed: 'seed',
  width: 'width',
  height: 'height',
};
const NOT_RESTORED = {
  steps: 'Steps were not restored',
  guidanceScale: 'Guidance scale was not restored',
  seed: 'The seed was not restored',
  width: 'Width was not restored',
  height: 'Height was not restored',
} as const;

/** Settings that only describe the image (or are carried out anyway), not worth a note. */
// Lora hashes: the prompt's <lora:...> tags restore the set; main.ts notes a LoRA the library lacks (lora-choice.ts loraRestoreNotes).
const HARMLESS_EXTRAS = new Set(['Model hash', 'Version', 'Schedule type', 'VAE hash', 'Seed resize from', 'Lora hashes']);

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
    presets.find((spec) => spec.id === model || Object.values(spec.urls).some((url) => url !== undefined && trimSlash(url).endsWith(`/${trimSlash(model)}`))) ??
    null
  );
}

/** Form values for a request this app made (a gallery entry), model included. */
export function restoreRequest(request: ResolvedRequest, model: string, presets: readonly ModelPreset[]): RestoreResult {
  // Entries saved before the prompt-syntax setting existed were generated with the plain syntax.
  const values = {
    ...fromRequest(request),
    promptSyntax: request.promptSyntax ?? 'plain',
    eta: request.eta ?? 0,
    timestepSpacing: request.timestepSpacing ?? ('' as const),
    decoder: request.decoder ?? ('full' as const),
  };
  const notes: string[] = [];
  if (request.seed === null) notes.push('It was made from given initial latents, not a seed: the seed was left as it was.');
  if (request.strength !== undefined) notes.push(imageNote(request.strength));
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
  // Numbers out of the engine's range (Size: 0x0, Steps: 0) are left as they were in the form, each with a note.
  const problems = validateRequest(
    { prompt: p.prompt, numInferenceSteps: p.steps, guidanceScale: p.guidanceScale, seed: p.seed, width: p.width, height: p.height },
    ANY_SD_V1_GEOMETRY,
  );
  for (const { field, message } of problems) {
    const key = FORM_KEYS[field];
    if (key === undefined || !(key in values)) continue;
    delete values[key];
    notes.push(`${NOT_RESTORED[key]}: ${message}`);
  }
  // A1111's "VAE Decoder" (TAESD: the tiny decoder); absent means Full, as A1111 reads it.
  const vaeDecoder = 'vaeDecoder' in p && p.vaeDecoder !== undefined ? p.vaeDecoder : 'Full';
  if (vaeDecoder === 'TAESD' || vaeDecoder === 'Full') values.decoder = vaeDecoder === 'TAESD' ? 'tiny' : 'full';
  else notes.push(`The VAE decoder "${vaeDecoder}" is not available here, so the final decode was left as it was.`);
  // A1111's "VAE Encoder" (img2img: what encoded the picture; absent means Full). Here the decoder choice serves both:
  // the tiny decoder also encodes with the tiny autoencoder where the folder has taesd_encoder/ (pipeline.ts
  // usesTinyEncoder), so the encoder follows the restored decoder, and what that cannot give is said. Full with the
  // tiny decoder is what a folder without taesd_encoder/ does (shapes-sd's PNGs): not noted, the folder is not known here.
  const vaeEncoder = p.vaeEncoder ?? 'Full';
  if (vaeEncoder !== 'TAESD' && vaeEncoder !== 'Full')
    notes.push(
      `The VAE encoder "${vaeEncoder}" is not available here: the picture is encoded with the model's VAE (or the tiny one with the tiny decoder), so it may differ.`,
    );
  else if (vaeEncoder === 'TAESD' && values.decoder === 'full')
    notes.push(
      'It encoded its picture with the tiny autoencoder (VAE Encoder: TAESD) but decoded it with the full VAE; here the tiny encoder comes only with the tiny decoder, so the full VAE encodes the picture and it may differ.',
    );
  // A1111 writes "Denoising strength" for its hires fix too (txt2img, with "Hires upscale"): not a picture's.
  const hiresFix = Object.keys(extra).some((key) => key.startsWith('Hires '));
  if (p.denoisingStrength !== undefined && !hiresFix) {
    if (p.denoisingStrength > 0 && p.denoisingStrength <= 1) {
      values.strength = p.denoisingStrength;
      notes.push(imageNote(p.denoisingStrength));
    } else {
      notes.push(`"Denoising strength: ${p.denoisingStrength}" was not restored: strength must be a number in (0, 1].`);
    }
  }

  const scheduler = schedulerForSampler(p.sampler, extra['Schedule type']);
  if (scheduler) values.scheduler = scheduler;
  else notes.push(`The sampler "${p.sampler}" is not available here, so the sampler was left as it was.`);

  // eta: "Eta DDIM" for DDIM, "Eta" for TCD (A1111's ancestral eta means another thing for its other samplers)
  const restored = new Set<string>();
  const etaKey = scheduler === 'ddim' ? SAMPLER_SETTING_KEYS.etaDdim : scheduler === 'tcd' ? SAMPLER_SETTING_KEYS.eta : null;
  const eta = etaKey === null || extra[etaKey] === undefined ? NaN : Number(extra[etaKey]);
  if (etaKey !== null && Number.isFinite(eta)) {
    values.eta = eta;
    restored.add(etaKey);
  }
  if (etaKey !== null && !restored.has(etaKey)) values.eta = 0; // not written: the sampler ran without it
  const spacing = extra[SAMPLER_SETTING_KEYS.timestepSpacing]?.trim();
  if (spacing !== undefined && (TIMESTEP_SPACINGS as readonly string[]).includes(spacing)) {
    values.timestepSpacing = spacing as TimestepSpacing;
    restored.add(SAMPLER_SETTING_KEYS.timestepSpacing);
  } else if (spacing === undefined) values.timestepSpacing = '';

  const preset = presetForModel(p.model, presets);
  if (preset) values.modelId = preset.id;
  else if (p.model) notes.push(`It was made with the model "${p.model}"; the model picker was left as it was, so the picture may differ.`);

  if ((values.width !== undefined && p.width % 8 !== 0) || (values.height !== undefined && p.height % 8 !== 0))
    notes.push(`Its size ${p.width}x${p.height} is not a multiple of 8: fix width and height before generating.`);

  const ignored = Object.keys(extra).filter((key) => !HARMLESS_EXTRAS.has(key) && !restored.has(key));
  if (ignored.length > 0) notes.push(`Settings this engine does not have were ignored: ${ignored.join(', ')}.`);
  return { values, notes };
}

/** A picture-mode image: its strength is restored, its picture (and mask) cannot be. */
function imageNote(strength: number): string {
  return `It was made from a picture (denoising strength ${strength}, restored): pick that picture (and paint its mask) under "Start from a picture" to make it again.`;
}

function trimSlash(text: string): string {
  return text.replace(/\/+$/, '');
}
