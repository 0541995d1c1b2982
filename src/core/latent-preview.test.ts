/**
 * latentToRgba against pixels computed by hand from A1111's "Approx cheap" formula:
 * rgb = sum_l latent[l] * factors[l], byte = trunc(255 * clamp(rgb * 0.5 + 0.5, 0, 1)).
 */
import { describe, expect, it } from 'vitest';
import { latentToRgba, SD_V1_LATENT_RGB_FACTORS } from './latent-preview.js';
import { TorchGenerator } from './random/torch-generator.js';

describe('latentToRgba', () => {
  it('has A1111 sd_vae_approx.cheap_approximation coefficients for SD v1', () => {
    expect(SD_V1_LATENT_RGB_FACTORS).toEqual([
      [0.298, 0.207, 0.208],
      [0.187, 0.286, 0.173],
      [-0.158, 0.189, 0.264],
      [-0.184, -0.271, -0.473],
    ]);
  });

  it('gives hand-computed pixels for a 2x1 latent', () => {
    // channel-major (1, 4, 1, 2): pixel 0 = (1, 0, 0, 0), pixel 1 = (0, 1, 1, 2)
    const latents = Float32Array.of(1, 0, 0, 1, 0, 1, 0, 2);
    const rgba = latentToRgba(latents, 2, 1);
    // pixel 0: rgb = (0.298, 0.207, 0.208) -> 0.649, 0.6035, 0.604 -> *255 = 165.495, 153.8925, 154.02
    // pixel 1: rgb = 0.187 - 0.158 - 0.368 = -0.339, 0.286 + 0.189 - 0.542 = -0.067, 0.173 + 0.264 - 0.946 = -0.509
    //          -> 0.3305, 0.4665, 0.2455 -> *255 = 84.2775, 118.9575, 62.6025
    expect([...rgba]).toEqual([165, 153, 154, 255, 84, 118, 62, 255]);
  });

  it('maps zero latents to mid grey (127) and clamps large values', () => {
    expect([...latentToRgba(new Float32Array(4), 1, 1)]).toEqual([127, 127, 127, 255]);
    expect([...latentToRgba(Float32Array.of(100, 100, 0, 0), 1, 1)]).toEqual([255, 255, 255, 255]);
    expect([...latentToRgba(Float32Array.of(-100, -100, 0, 0), 1, 1)]).toEqual([0, 0, 0, 255]);
  });

  it('previews a 1x4x16x16 latent as a 16x16 RGBA image with bytes in range', () => {
    const latents = new TorchGenerator(0).randn([1, 4, 16, 16]);
    const rgba = latentToRgba(latents, 16, 16);
    expect(rgba.length).toBe(16 * 16 * 4);
    for (let i = 3; i < rgba.length; i += 4) expect(rgba[i]).toBe(255);
    // pixel (y=3, x=5) recomputed independently
    const i = 3 * 16 + 5;
    for (let c = 0; c < 3; c++) {
      let v = 0;
      for (let l = 0; l < 4; l++) v += latents[l * 256 + i] * SD_V1_LATENT_RGB_FACTORS[l][c];
      expect(rgba[i * 4 + c]).toBe(Math.floor(255 * Math.min(1, Math.max(0, v / 2 + 0.5))));
    }
  });

  it('rejects latents that do not match the size', () => {
    expect(() => latentToRgba(new Float32Array(15), 2, 2)).toThrow(RangeError);
  });
});
