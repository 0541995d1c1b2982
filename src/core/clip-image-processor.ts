/**
 * transformers' CLIPImageProcessor (its PIL backend, what diffusers' StableDiffusionPipeline runs
 * before the safety checker) on an 8-bit RGB picture, every number read from the checkpoint's
 * `feature_extractor/preprocessor_config.json`:
 *
 *   1. resize (do_resize): the shortest edge to `size` (an int or {shortest_edge}), the other edge
 *      int(size * long / short) (get_resize_output_image_size), with Pillow's filter `resample`
 *      (3, bicubic, for SD v1.4), bit for bit (pil-resample.ts); {height, width} resizes to exactly that;
 *   2. centre crop (do_center_crop) to `crop_size` (an int or {height, width}): top = (H - h) // 2,
 *      left = (W - w) // 2 on the uint8 picture; a picture smaller than the crop is padded with zeros
 *      first (top_pad = ceil((h - H) / 2)), as transformers' center_crop;
 *   3. rescale (do_rescale): float32(uint8 * rescale_factor), the product in float64 (np_rescale);
 *   4. normalise (do_normalize): (x - mean) / std in float32.
 * Output: pixel_values (3, h, w) float32, channel-first.
 */

import { isSupportedResample, pilResize } from './pil-resample.js';

const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

export interface ClipImageProcessorConfig {
  doResize: boolean;
  /** Shortest edge, or an exact size. */
  size: { shortestEdge: number } | { height: number; width: number };
  resample: number;
  doCenterCrop: boolean;
  cropSize: { height: number; width: number };
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  imageMean: [number, number, number];
  imageStd: [number, number, number];
}

/** Why a preprocessor_config.json cannot be used; the caller names the file. */
export class PreprocessorConfigError extends Error {}

function positiveInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
    throw new PreprocessorConfigError(`${what} must be a positive integer, not ${JSON.stringify(value)}`);
  return value;
}

function triple(value: unknown, fallback: number[], what: string): [number, number, number] {
  const list = value === undefined ? fallback : typeof value === 'number' ? [value, value, value] : value;
  if (!Array.isArray(list) || list.length !== 3 || !list.every((v) => typeof v === 'number'))
    throw new PreprocessorConfigError(`${what} must be 3 numbers, not ${JSON.stringify(value)}`);
  return [list[0], list[1], list[2]];
}

function flag(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

/** Reads a preprocessor_config.json object; missing keys take CLIPImageProcessor's defaults (224, bicubic, CLIP's mean and std). */
export function parseClipImageProcessorConfig(json: Record<string, unknown>): ClipImageProcessorConfig {
  const size = json.size ?? 224;
  let parsedSize: ClipImageProcessorConfig['size'];
  if (typeof size === 'number') parsedSize = { shortestEdge: positiveInt(size, 'size') };
  else if (typeof size === 'object' && size !== null && 'shortest_edge' in size)
    parsedSize = { shortestEdge: positiveInt((size as { shortest_edge: unknown }).shortest_edge, 'size.shortest_edge') };
  else if (typeof size === 'object' && size !== null && 'height' in size && 'width' in size) {
    const s = size as { height: unknown; width: unknown };
    parsedSize = { height: positiveInt(s.height, 'size.height'), width: positiveInt(s.width, 'size.width') };
  } else throw new PreprocessorConfigError(`size must be an int, {shortest_edge} or {height, width}, not ${JSON.stringify(size)}`);
  const crop = json.crop_size ?? 224;
  let cropSize: ClipImageProcessorConfig['cropSize'];
  if (typeof crop === 'number') cropSize = { height: positiveInt(crop, 'crop_size'), width: crop };
  else if (typeof crop === 'object' && crop !== null && 'height' in crop && 'width' in crop) {
    const c = crop as { height: unknown; width: unknown };
    cropSize = { height: positiveInt(c.height, 'crop_size.height'), width: positiveInt(c.width, 'crop_size.width') };
  } else throw new PreprocessorConfigError(`crop_size must be an int or {height, width}, not ${JSON.stringify(crop)}`);
  const resample = json.resample ?? 3;
  if (typeof resample !== 'number' || !isSupportedResample(resample))
    throw new PreprocessorConfigError(`resample ${JSON.stringify(resample)} is not supported (Pillow's 1, 2, 3, 4 or 5)`);
  const rescaleFactor = json.rescale_factor ?? 1 / 255;
  if (typeof rescaleFactor !== 'number') throw new PreprocessorConfigError(`rescale_factor must be a number, not ${JSON.stringify(rescaleFactor)}`);
  return {
    doResize: flag(json.do_resize, true),
    size: parsedSize,
    resample,
    doCenterCrop: flag(json.do_center_crop, true),
    cropSize,
    doRescale: flag(json.do_rescale, true),
    rescaleFactor,
    doNormalize: flag(json.do_normalize, true),
    imageMean: triple(json.image_mean, CLIP_MEAN, 'image_mean'),
    imageStd: triple(json.image_std, CLIP_STD, 'image_std'),
  };
}

/** The (width, height) the resize step gives (transformers' get_resize_output_image_size, default_to_square=False). */
export function resizedSize(width: number, height: number, size: ClipImageProcessorConfig['size']): { width: number; height: number } {
  if (!('shortestEdge' in size)) return { width: size.width, height: size.height };
  const s = size.shortestEdge;
  if (width <= height) return { width: s, height: Math.trunc((s * height) / width) };
  return { width: Math.trunc((s * width) / height), height: s };
}

/** Centre crop of an (H, W, C) uint8 picture, zero-padded first where it is smaller than the crop. */
export function centerCrop(pixels: Uint8Array, width: number, height: number, channels: number, cropWidth: number, cropHeight: number): Uint8Array {
  const padTop = height < cropHeight ? Math.ceil((cropHeight - height) / 2) : 0;
  const padLeft = width < cropWidth ? Math.ceil((cropWidth - width) / 2) : 0;
  const top = Math.floor((height - cropHeight) / 2) + padTop;
  const left = Math.floor((width - cropWidth) / 2) + padLeft;
  const out = new Uint8Array(cropWidth * cropHeight * channels);
  for (let y = 0; y < cropHeight; y++) {
    const sy = top + y - padTop;
    if (sy < 0 || sy >= height) continue;
    for (let x = 0; x < cropWidth; x++) {
      const sx = left + x - padLeft;
      if (sx < 0 || sx >= width) continue;
      for (let c = 0; c < channels; c++) out[(y * cropWidth + x) * channels + c] = pixels[(sy * width + sx) * channels + c]!;
    }
  }
  return out;
}

/** The processor's uint8 picture before rescaling: resized and cropped (H, W, 3). */
export function resizeAndCrop(
  rgb: Uint8Array,
  width: number,
  height: number,
  config: ClipImageProcessorConfig,
): { pixels: Uint8Array; width: number; height: number } {
  let pixels = rgb;
  let w = width;
  let h = height;
  if (config.doResize) {
    const size = resizedSize(w, h, config.size);
    if (size.width !== w || size.height !== h) pixels = pilResize(pixels, w, h, 3, size.width, size.height, config.resample); // Pillow returns a copy for the same size
    w = size.width;
    h = size.height;
  }
  if (config.doCenterCrop) {
    pixels = centerCrop(pixels, w, h, 3, config.cropSize.width, config.cropSize.height);
    w = config.cropSize.width;
    h = config.cropSize.height;
  }
  return { pixels, width: w, height: h };
}

/** RGBA8 (H, W, 4), alpha ignored, to interleaved RGB (H, W, 3). */
export function rgbaToRgb(rgba: Uint8Array | Uint8ClampedArray): Uint8Array {
  const n = rgba.length / 4;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[i * 3] = rgba[i * 4]!;
    out[i * 3 + 1] = rgba[i * 4 + 1]!;
    out[i * 3 + 2] = rgba[i * 4 + 2]!;
  }
  return out;
}

/** pixel_values (3, h, w) float32 for an interleaved RGB uint8 picture (H, W, 3). */
export function clipPixelValues(
  rgb: Uint8Array,
  width: number,
  height: number,
  config: ClipImageProcessorConfig,
): { data: Float32Array; width: number; height: number } {
  const { pixels, width: w, height: h } = resizeAndCrop(rgb, width, height, config);
  const f = Math.fround;
  const plane = w * h;
  const out = new Float32Array(3 * plane);
  const mean = config.imageMean.map(f);
  const std = config.imageStd.map(f);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      let v = pixels[i * 3 + c]!;
      if (config.doRescale) v = f(v * config.rescaleFactor);
      if (config.doNormalize) v = f(f(v - mean[c]!) / std[c]!);
      out[c * plane + i] = v;
    }
  }
  return { data: out, width: w, height: h };
}
