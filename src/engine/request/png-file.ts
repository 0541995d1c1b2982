/**
 * The PNG writer's edge: a resolved request in the engine's vocabulary becomes AUTOMATIC1111's
 * `parameters` text (sampler labels, "CFG scale", "Size") only here, where it is written into the
 * file. Results carry the request itself; nothing parses the labels back.
 */
import { formatParameters, SAMPLER_SETTING_KEYS, type GenerationParameters } from '../../core/parameters.js';
import { encodePng } from '../../core/png.js';
import { SCHEDULER_LABELS } from '../../core/schedulers/index.js';
import type { ResolvedRequest } from './request.js';

/**
 * The A1111 infotext fields for a request (seed -1 when it was made from given latents); eta ("Eta DDIM"
 * for DDIM, "Eta" for TCD) and the timestep spacing join as extra settings when the request set them; the tiny
 * autoencoder is A1111's `VAE Encoder: TAESD` (it encoded the init image) and `VAE Decoder: TAESD` (it decoded the picture).
 */
export function infotextParameters(request: ResolvedRequest, model: string): GenerationParameters & { extra: Record<string, string> } {
  const extra: Record<string, string> = {};
  if (request.eta !== undefined) extra[request.scheduler === 'ddim' ? SAMPLER_SETTING_KEYS.etaDdim : SAMPLER_SETTING_KEYS.eta] = String(request.eta);
  if (request.timestepSpacing !== undefined) extra[SAMPLER_SETTING_KEYS.timestepSpacing] = request.timestepSpacing;
  return {
    extra,
    prompt: request.prompt,
    negativePrompt: request.negativePrompt,
    steps: request.numInferenceSteps,
    sampler: SCHEDULER_LABELS[request.scheduler],
    guidanceScale: request.guidanceScale,
    seed: request.seed ?? -1,
    width: request.width,
    height: request.height,
    model,
    promptSyntax: request.promptSyntax,
    ...(request.strength === undefined ? {} : { denoisingStrength: request.strength }),
    ...(request.encoder === 'tiny' ? { vaeEncoder: 'TAESD' } : {}),
    ...(request.decoder === 'tiny' ? { vaeDecoder: 'TAESD' } : {}),
  };
}

/** RGBA8 pixels as a PNG whose `parameters` chunk reproduces them in A1111 and here; `extra`: more settings (e.g. `Lora hashes`). */
export function encodeImagePng(
  image: { rgba: Uint8ClampedArray; width: number; height: number; request: ResolvedRequest; model: string },
  extra?: Readonly<Record<string, string>>,
): Promise<Uint8Array> {
  return encodePng(image.rgba, image.width, image.height, {
    parameters: formatParameters({ ...infotextParameters(image.request, image.model), ...(extra ? { extra } : {}) }),
  });
}
