/**
 * CLIPImageProcessor (transformers, PIL backend, SD v1.4's preprocessor_config.json) against its own
 * output: fixtures/safety/preprocess.json, made by tools/make_safety_refs.py from mulberry32 pictures
 * (remade here): 128x128 (upscaled by bicubic), 512x512 (downscaled: the kernel widens), non-square
 * both ways, odd sizes, 640x360. Expected: the resized and cropped uint8 picture bit for bit (its
 * SHA-256), pixel_values at 1024 positions exactly (max abs error 0) and their float64 sum within 1e-6.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readJson } from '../testing/reference-data.js';
import { mulberry32 } from '../testing/mulberry32.js';
import { centerCrop, clipPixelValues, parseClipImageProcessorConfig, resizeAndCrop, resizedSize } from './clip-image-processor.js';
import { pilResize } from './pil-resample.js';

interface Picture {
  width: number;
  height: number;
  seed: number;
  resized: [number, number];
  crop_sha256: string;
  sum: number;
  stride: number;
  samples: number[];
}
const refs = readJson<{ config: Record<string, unknown>; pictures: Picture[] }>('fixtures/safety/preprocess.json');
const config = parseClipImageProcessorConfig(refs.config);

function picture(width: number, height: number, seed: number): Uint8Array {
  const rand = mulberry32(seed);
  return Uint8Array.from({ length: width * height * 3 }, () => Math.floor(rand() * 256));
}

describe('CLIPImageProcessor, exactly', () => {
  it('reads SD v1.4 preprocessor_config.json (ints) and the {shortest_edge} / {height, width} forms', () => {
    expect(config).toMatchObject({ size: { shortestEdge: 224 }, cropSize: { height: 224, width: 224 }, resample: 3, doResize: true, doCenterCrop: true });
    expect(config.rescaleFactor).toBe(1 / 255);
    const dict = parseClipImageProcessorConfig({ size: { shortest_edge: 256 }, crop_size: { height: 240, width: 200 }, do_center_crop: false, resample: 2 });
    expect(dict).toMatchObject({ size: { shortestEdge: 256 }, cropSize: { height: 240, width: 200 }, doCenterCrop: false, resample: 2 });
    expect(() => parseClipImageProcessorConfig({ resample: 0 })).toThrow(/resample 0/);
    expect(() => parseClipImageProcessorConfig({ size: 'big' })).toThrow(/size/);
  });

  it.each(refs.pictures.map((p) => [`${p.width}x${p.height}`, p] as const))('%s', (_, p) => {
    const rgb = picture(p.width, p.height, p.seed);
    expect(resizedSize(p.width, p.height, config.size)).toEqual({ width: p.resized[0], height: p.resized[1] });
    const crop = resizeAndCrop(rgb, p.width, p.height, config);
    expect(createHash('sha256').update(crop.pixels).digest('hex')).toBe(p.crop_sha256);
    const { data } = clipPixelValues(rgb, p.width, p.height, config);
    let maxError = 0;
    p.samples.forEach((v, i) => (maxError = Math.max(maxError, Math.abs(data[i * p.stride]! - Math.fround(v)))));
    const sum = data.reduce((s, v) => s + v, 0);
    console.log(`${p.width}x${p.height}: pixel_values max abs error ${maxError} (1024 samples), sum error ${Math.abs(sum - p.sum).toExponential(1)}`);
    expect(maxError).toBe(0);
    expect(Math.abs(sum - p.sum)).toBeLessThan(1e-6);
  });

  it('pads a picture smaller than the crop with zeros, centred as transformers does (ceil on the pad)', () => {
    const px = Uint8Array.from([1, 2, 3, 4, 5, 6]); // 3x2, one channel
    expect([...centerCrop(px, 3, 2, 1, 4, 5)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0]);
  });

  it('a constant picture stays constant through bicubic up- and downscaling (weights sum to 1 in fixed point)', () => {
    const flat = new Uint8Array(50 * 30 * 3).fill(200);
    expect(pilResize(flat, 50, 30, 3, 224, 134, 3).every((v) => v === 200)).toBe(true);
    expect(pilResize(flat, 50, 30, 3, 17, 11, 3).every((v) => v === 200)).toBe(true);
  });
});
