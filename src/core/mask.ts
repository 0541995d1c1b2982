/**
 * Inpainting masks as diffusers' StableDiffusionInpaintPipeline prepares them (white = repaint,
 * black = keep):
 *   mask_processor.preprocess: PIL convert("L") (ITU-R 601 luma in Pillow's fixed point), / 255,
 *     binarise at 0.5 (do_binarize)                                           -> pixel mask (H, W) of 0 / 1
 *   masked_image = image * (mask < 0.5)                                       (9-channel UNets only)
 *   prepare_mask_latents: F.interpolate(mask, size=(H/8, W/8)), mode "nearest": latent cell (i, j)
 *     takes pixel (8i, 8j)                                                    -> latent mask (h, w)
 *   after each step (4-channel UNet): latents = (1 - mask) * add_noise(image_latents, noise, t_next) + mask * latents
 * Sources: diffusers image_processor.py (VaeImageProcessor), pipeline_stable_diffusion_inpaint.py;
 * Pillow libImaging/Convert.c (L24); torch.nn.functional.interpolate (nearest: src = floor(dst * in / out)).
 */
import { checkRgbaImage, type RgbaImage } from './init-image.js';

/** Pillow's RGB -> L: (R 19595 + G 38470 + B 7471 + 0x8000) >> 16. */
export function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

/** (H * W) of 0 / 1: 1 where the mask's luma / 255 >= 0.5 (repaint), alpha ignored. */
export function binaryMask(mask: RgbaImage): Uint8Array {
  checkRgbaImage(mask, 'The mask');
  const out = new Uint8Array(mask.width * mask.height);
  const d = mask.data;
  for (let i = 0; i < out.length; i++) out[i] = Math.fround(luma(d[i * 4], d[i * 4 + 1], d[i * 4 + 2]) / 255) >= 0.5 ? 1 : 0;
  return out;
}

/** The pixel mask at latent size (h = H / factor, w = W / factor) by nearest-neighbour sampling of pixel (factor i, factor j). */
export function latentMask(pixelMask: Uint8Array, width: number, height: number, factor: number): Float32Array {
  const w = Math.floor(width / factor);
  const h = Math.floor(height / factor);
  const out = new Float32Array(h * w);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) out[i * w + j] = pixelMask[Math.floor((i * height) / h) * width + Math.floor((j * width) / w)];
  }
  return out;
}

/** image * (mask < 0.5) for an NCHW image (1, C, H, W): repainted pixels become 0 (mid grey in [-1, 1]). */
export function maskImage(nchw: Float32Array, pixelMask: Uint8Array): Float32Array {
  const plane = pixelMask.length;
  return nchw.map((v, k) => (pixelMask[k % plane] ? 0 : v));
}

/**
 * (1 - mask) * keep + mask * latents over (1, C, h, w) latents with an (h, w) mask of 0 / 1: exact
 * selection, as the float32 products are (0 or 1 times a finite value).
 */
export function blendMasked(keep: Float32Array, latents: Float32Array, mask: Float32Array): Float32Array {
  const plane = mask.length;
  return latents.map((v, k) => (mask[k % plane] ? v : keep[k]));
}
