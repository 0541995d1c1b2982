/**
 * Pixel conversion against diffusers' formulas, evaluated by hand: denormalize `(x / 2 + 0.5).clamp(0, 1)`
 * and numpy_to_pil `(x * 255).round()` (round half to even), plus the pipeline fixture image
 * fixtures/refs/img_pndm_10_7.5.f32 (diffusers output_type="np", 1x3x128x128 in [0, 1]).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { imageToRgba, unitToRgba, vaeOutputToUnit } from './image.js';

/** NCHW (1, 3, h, w) from per-pixel [r, g, b]. */
function nchw(pixels: [number, number, number][], width: number, height: number): Float32Array {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  pixels.forEach((rgb, i) => rgb.forEach((v, c) => (out[c * plane + i] = v)));
  return out;
}

describe('vaeOutputToUnit', () => {
  it('maps [-1, 1] to [0, 1] and clamps outside', () => {
    const out = vaeOutputToUnit(Float32Array.of(-1, 0, 1, -3, 2.5, 0.2, -0.5));
    expect([...out]).toEqual([0, 0.5, 1, 0, 1, Math.fround(0.6), 0.25]);
  });
});

describe('imageToRgba', () => {
  it('gives hand-computed pixels, planar RGB to interleaved RGBA, alpha 255', () => {
    // (2, 1) image: pixel 0 = (-1, 0, 1), pixel 1 = (-0.5, 0.2, 7)
    const rgba = imageToRgba(
      nchw(
        [
          [-1, 0, 1],
          [-0.5, 0.2, 7],
        ],
        2,
        1,
      ),
      2,
      1,
    );
    // 0 -> 0; 0.5 * 255 = 127.5 -> 128 (tie to even); 1 -> 255;
    // 0.25 * 255 = 63.75 -> 64; f32(0.6) * 255 = 153.0000061 -> 153; clamp -> 255
    expect([...rgba]).toEqual([0, 128, 255, 255, 64, 153, 255, 255]);
  });

  it('rounds ties to even like numpy (x.5 for even and odd x)', () => {
    const f32 = Math.fround;
    const ties: number[] = [];
    const expected: number[] = [];
    for (let k = 0; k < 255 && ties.length < 64; k++) {
      const u = f32((k + 0.5) / 255);
      if (f32(u * 255) === k + 0.5) {
        ties.push(u);
        expected.push(k % 2 === 0 ? k : k + 1);
      }
    }
    expect(ties.length).toBeGreaterThan(10);
    expect(expected.some((v) => v % 2 === 0)).toBe(true);
    const img = new Float32Array(3 * ties.length);
    img.set(ties);
    const rgba = unitToRgba(img, ties.length, 1);
    expect(Array.from({ length: ties.length }, (_, i) => rgba[i * 4])).toEqual(expected);
  });

  it('converts the diffusers fixture image: shape, range, and each byte within 0.5 of x * 255', () => {
    const bytes = readFileSync(new URL('../../fixtures/refs/img_pndm_10_7.5.f32', import.meta.url));
    const unit = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const rgba = unitToRgba(unit, 128, 128);
    expect(rgba.length).toBe(128 * 128 * 4);
    const plane = 128 * 128;
    let maxErr = 0;
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) maxErr = Math.max(maxErr, Math.abs(rgba[i * 4 + c] - unit[c * plane + i] * 255));
      expect(rgba[i * 4 + 3]).toBe(255);
    }
    expect(maxErr).toBeLessThanOrEqual(0.5 + 1e-4);
    // imageToRgba on the same picture mapped back to [-1, 1] gives the same bytes except at exact ties.
    const signed = unit.map((v) => v * 2 - 1);
    const again = imageToRgba(signed, 128, 128);
    let differ = 0;
    for (let i = 0; i < again.length; i++) if (Math.abs(again[i] - rgba[i]) > 1) differ++;
    expect(differ).toBe(0);
  });

  it('rejects a buffer that does not match the size', () => {
    expect(() => imageToRgba(new Float32Array(11), 2, 2)).toThrow(RangeError);
    expect(() => unitToRgba(new Float32Array(12), 0, 4)).toThrow(RangeError);
  });
});
