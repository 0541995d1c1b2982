/**
 * Which picture a sampler step's preview is, from the caller's choice and what the model folder has:
 *   'tiny'   the tiny autoencoder's full-size decode (taesd_decoder/, tiny-autoencoder.ts) when the model has
 *            it, else the cheap latent projection: the default, so a model with the part previews real pictures
 *   'latent' the cheap linear projection of the latents at latent size (core/latent-preview.ts)
 *   'none'   no step previews (a full VAE decode every N steps, vaeDecodeEvery, is separate and still runs)
 * `every`: a preview every N sampler steps (previewEvery; default 1). Measured on wasm here (README, *Speed*),
 * a tiny decode costs a fraction of a UNet step, so the default previews every step.
 */
export type PreviewChoice = 'tiny' | 'latent' | 'none';
export const PREVIEW_CHOICES: readonly PreviewChoice[] = ['tiny', 'latent', 'none'];

export interface PreviewPlan {
  kind: 'tiny' | 'latent' | null;
  every: number;
}

export function previewPlan(choice: PreviewChoice, hasTinyDecoder: boolean, previewEvery = 1): PreviewPlan {
  if (choice === 'none' || previewEvery <= 0) return { kind: null, every: 0 };
  return { kind: choice === 'tiny' && hasTinyDecoder ? 'tiny' : 'latent', every: previewEvery };
}
