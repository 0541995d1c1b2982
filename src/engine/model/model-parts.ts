/**
 * Which requests a model folder's parts allow, decided from its file list alone (no weights read):
 * img2img and inpainting need `vae_encoder/model.onnx` (diffusers' `OnnxStableDiffusionImg2ImgPipeline`
 * takes `vae_encoder` beside `vae_decoder`), text-to-image does not. The weight store knows the list
 * from model_index.json, manifest.json and HEAD requests before any weight moves, so a surface can be
 * refused there; the pipeline asks the same question of a loaded folder.
 */
import { ModelFileMissingError } from '../../core/errors.js';

export const VAE_ENCODER_FILE = 'vae_encoder/model.onnx';

/** What a folder's listing tells before its files download: its name and its files (path -> size, null: unknown). */
export interface FolderListing {
  name: string;
  files: ReadonlyMap<string, number | null>;
}

/** Why model `name` cannot start from a picture (img2img, inpainting); null when it has a VAE encoder. */
export function imageInputRefusal(name: string, hasVaeEncoder: boolean): ModelFileMissingError | null {
  if (hasVaeEncoder) return null;
  return new ModelFileMissingError(
    `"${name}" has no ${VAE_ENCODER_FILE}, which img2img and inpainting need: use a model folder exported with its VAE encoder.`,
  );
}

/** Throws imageInputRefusal's error when the listed folder has no VAE encoder. */
export function checkListingTakesImage(listing: FolderListing): void {
  const refusal = imageInputRefusal(listing.name, listing.files.has(VAE_ENCODER_FILE));
  if (refusal) throw refusal;
}
