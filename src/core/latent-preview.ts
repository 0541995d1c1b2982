/**
 * A cheap live preview of SD v1 latents: each latent pixel becomes one RGB pixel by a fixed linear
 * map of its 4 channels, so the picture is (h/8) x (w/8), no VAE needed.
 *
 * Source: AUTOMATIC1111 stable-diffusion-webui, modules/sd_vae_approx.py `cheap_approximation`
 * (the "Approx cheap" live-preview method) and modules/sd_samplers_common.py
 * `single_sample_to_image`: `rgb = einsum("lxy,lr -> rxy", latent, coefs)`, then `rgb * 0.5 + 0.5`,
 * clamped to [0, 1], times 255 and cast to uint8 (which truncates). The coefficients were fitted
 * for SD v1.4 (discuss.huggingface.co/t/decoding-latents-to-rgb-without-upscaling/23204/2, as cited
 * in A1111's source; ComfyUI's later SD1.5 set differs and is not used here).
 * They apply to the latents the sampler holds (before division by the VAE scaling factor).
 */

/** Rows: latent channels L1..L4; columns: contribution to R, G, B. */
export const SD_V1_LATENT_RGB_FACTORS: readonly (readonly [r: number, g: number, b: number])[] = [
  [0.298, 0.207, 0.208],
  [0.187, 0.286, 0.173],
  [-0.158, 0.189, 0.264],
  [-0.184, -0.271, -0.473],
];

/**
 * (1, C, h, w) latents -> RGBA8 (h, w, 4), alpha 255. `factors` has one [r, g, b] row per latent
 * channel (SD v1's by default).
 */
export function latentToRgba(
  latents: Float32Array,
  latentWidth: number,
  latentHeight: number,
  factors: readonly (readonly [number, number, number])[] = SD_V1_LATENT_RGB_FACTORS,
): Uint8ClampedArray {
  const plane = latentWidth * latentHeight;
  if (!Number.isInteger(latentWidth) || !Number.isInteger(latentHeight) || plane < 1 || latents.length !== factors.length * plane) {
    throw new RangeError(`Expected (1, ${factors.length}, ${latentHeight}, ${latentWidth}) latents (${factors.length * plane} floats), got ${latents.length}.`);
  }
  const out = new Uint8ClampedArray(plane * 4);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      let v = 0;
      for (let l = 0; l < factors.length; l++) v += latents[l * plane + i] * factors[l][c];
      // Math.floor: torch's uint8 cast truncates; Uint8ClampedArray alone would round.
      out[i * 4 + c] = Math.floor(255 * Math.min(1, Math.max(0, v * 0.5 + 0.5)));
    }
    out[i * 4 + 3] = 255;
  }
  return out;
}
