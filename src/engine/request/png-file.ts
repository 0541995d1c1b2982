/**
 * The PNG writer's edge: a resolved request in the engine's vocabulary becomes AUTOMATIC1111's
 * `parameters` text (sampler labels, "CFG scale", "Size") only here, where it is written into the
 * file. Results carry the request itself; nothing parses the labels back.
 */
import { formatParameters, type GenerationParameters } from '../../core/parameters.js';
import { encodePng } from '../../core/png.js';
import { SCHEDULER_LABELS } from '../../core/schedulers/index.js';
import type { ResolvedRequest } from './request.js';

/** The A1111 infotext fields for a request (seed -1 when it was made from given latents). */
export function infotextParameters(request: ResolvedRequest, model: string): GenerationParameters {
  return {
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
    ...(request.decoder === 'tiny' ? { vaeDecoder: 'TAESD' } : {}),
  };
}

/** RGBA8 pixels as a PNG whose `parameters` chunk reproduces them in A1111 and here. */
export function encodeImagePng(image: { rgba: Uint8ClampedArray; width: number; height: number; request: ResolvedRequest; model: string }): Promise<Uint8Array> {
  return encodePng(image.rgba, image.width, image.height, { parameters: formatParameters(infotextParameters(image.request, image.model)) });
}
