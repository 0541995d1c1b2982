/**
 * The pipeline's refusals before any work, as diffusers' check_inputs runs before its loop: the request
 * against the model's rules (the one validator, request/request.ts) and its backend's memory (model-fit.ts),
 * what the loaded model's parts take (an init image needs vae_encoder/, a 9-channel inpainting UNet a mask),
 * and a prompt's length against a UNet exported for a fixed number of text tokens.
 */
import { InvalidRequestError } from '../core/errors.js';
import type { ModelGeometry } from './model/model-geometry.js';
import { imageInputRefusal } from './model/model-parts.js';
import { checkActivations, type Backend } from './runtime/model-fit.js';
import type { OrtModel } from './runtime/ort-model.js';
import { resolveRequest, type GenerationRequest, type ResolvedRequest } from './request/request.js';
import { MAX_LENGTH, type PromptTokens } from './text/tokenizer.js';

/**
 * A request against a model's rules (the one validator, via resolveRequest) and its backend's memory
 * (a size whose attention cannot fit is refused with the largest that fits: model-fit.ts), before any work.
 */
export function checkRequest(name: string, geometry: ModelGeometry, request: GenerationRequest, backend: Backend): ResolvedRequest {
  const r = resolveRequest(request, geometry);
  checkActivations(name, geometry, r.width, r.height, r.guidanceScale > 1 ? 2 : 1, { backend });
  return r;
}

/** The request's image inputs against the loaded parts: img2img / inpainting need vae_encoder/; a 9-channel UNet only inpaints. */
export function checkImageInputs(name: string, request: GenerationRequest, hasVaeEncoder: boolean, unetInChannels: () => number): void {
  const refusal = request.initImage ? imageInputRefusal(name, hasVaeEncoder) : null;
  if (refusal) throw refusal;
  if (unetInChannels() === 9 && !request.mask) {
    throw new InvalidRequestError(
      `"${name}" is an inpainting model (its UNet takes 9 channels: latents, mask, masked-image latents): give an init image and a mask, or use a text-to-image model.`,
    );
  }
}

/** A prompt's chunks against a UNet exported for a fixed sequence length (its static encoder_hidden_states dim 1). */
export function checkUnetTextLength(unet: OrtModel, tokens: PromptTokens, label: string): void {
  const fixed = unet.input('encoder_hidden_states').shape[1];
  if (typeof fixed === 'number' && fixed !== tokens.chunks.length * MAX_LENGTH) {
    throw new InvalidRequestError(
      `This model's UNet was exported for ${fixed} text tokens only; the ${label} needs ${tokens.chunks.length * MAX_LENGTH} (${tokens.chunks.length} chunks). Shorten it to 75 tokens without BREAK, or use the plain syntax.`,
    );
  }
}
