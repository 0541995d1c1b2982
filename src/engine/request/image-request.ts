/**
 * The image fields of a request (img2img / inpainting) and their checks, part of the one validator
 * (request.ts): decoded pixels whose size the model takes (the output has the init image's size; a
 * different width / height is refused: resize the picture first), a mask of the same size, strength in
 * (0, 1] that runs at least one step.
 */
import type { RgbaImage } from '../../core/init-image.js';
import type { ModelGeometry } from '../model/model-geometry.js';
import { startStep } from '../sampler-start.js';

/** diffusers' default strength for img2img and inpainting (A1111's "Denoising strength" default too). */
export const DEFAULT_STRENGTH = 0.75;

export interface ImageRequestFields {
  /** img2img / inpainting: the starting picture, decoded; the output has its size. */
  initImage?: RgbaImage;
  /** Inpainting: white = repaint, black = keep (luma binarised at 0.5); the init image's size. */
  mask?: RgbaImage;
  /** (0, 1], default 0.75: the share of the schedule that runs (1: all of it). */
  strength?: number;
}

type Add = (field: keyof ImageRequestFields | 'width' | 'height', message: string) => void;

function pixelsProblem(image: RgbaImage): string | null {
  if (typeof image !== 'object' || image === null) return 'must be decoded RGBA pixels ({ width, height, data })';
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) return `has no valid size (got ${String(width)}x${String(height)})`;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray) || data.length !== width * height * 4)
    return `must hold ${width}x${height} RGBA pixels (${width * height * 4} bytes)`;
  return null;
}

/** Problems with the image fields of `request` for this model (`steps`: the request's, defaults applied). */
export function checkImageFields(
  request: ImageRequestFields & { width?: number; height?: number },
  model: ModelGeometry,
  steps: number,
  maxSize: number,
  add: Add,
): void {
  const { initImage, mask, strength } = request;
  if (initImage === undefined) {
    if (mask !== undefined) add('mask', 'A mask needs an init image: give the picture to inpaint as well.');
    if (strength !== undefined) add('strength', 'Strength applies to image-to-image: give an init image as well.');
    return;
  }
  const problem = pixelsProblem(initImage);
  if (problem) return add('initImage', `The init image ${problem}.`);
  const { width, height } = initImage;
  const m = model.sizeMultiple;
  if (width % m !== 0 || height % m !== 0 || width > maxSize || height > maxSize) {
    add(
      'initImage',
      `The init image is ${width}x${height}; this model takes sides that are multiples of ${m} up to ${maxSize}: resize or crop the picture first.`,
    );
  } else if (model.fixedSize && (model.fixedSize.width !== width || model.fixedSize.height !== height)) {
    add(
      'initImage',
      `The init image is ${width}x${height}, but this model's UNet was exported for ${model.fixedSize.width}x${model.fixedSize.height} only: resize the picture first.`,
    );
  }
  for (const [field, asked, own] of [
    ['width', request.width, width],
    ['height', request.height, height],
  ] as const) {
    if (asked !== undefined && asked !== own)
      add(field, `The output has the init image's size, ${width}x${height} (got ${field} ${asked}): leave ${field} out or resize the picture first.`);
  }
  if (mask !== undefined) {
    const maskProblem = pixelsProblem(mask);
    if (maskProblem) add('mask', `The mask ${maskProblem}.`);
    else if (mask.width !== width || mask.height !== height)
      add('mask', `The mask is ${mask.width}x${mask.height} but the init image is ${width}x${height}: give a mask of the image's size.`);
  }
  const s = strength ?? DEFAULT_STRENGTH;
  if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0 || s > 1) add('strength', `Strength must be a number in (0, 1] (got ${String(s)}).`);
  else if (Number.isInteger(steps) && steps >= 1 && startStep(steps, s) >= steps) {
    add('strength', `Strength ${s} with ${steps} steps runs no step (int(steps x strength) = 0): raise the strength or the steps.`);
  }
}
