/**
 * The browser's image decoder for img2img / inpainting inputs (the app, <sd-text-to-image>): a Blob
 * (PNG, JPEG or WebP: the header is read first, so other formats and pictures over the size limit are
 * refused before decoding), an ImageBitmap or a URL to the engine's image type,
 * 8-bit RGBA pixels (core/init-image.ts), the browser twin of src/node/decode-image.ts (same type,
 * same InvalidRequestError on a picture that does not decode). createImageBitmap runs without colour
 * conversion or alpha premultiplication, so pixels are the file's own values, as PIL reads them for
 * diffusers. The platform calls are a seam (`DecoderPlatform`) so the wrapping is tested in Node.
 */
import { InvalidRequestError } from '../core/errors.js';
import { imageHeaderProblem } from '../core/image-header.js';
import { LIMITS } from '../engine/request/request.js';
import type { RgbaImage } from '../core/init-image.js';
import { bitmapPixels } from './bitmap-pixels.js';

export type { RgbaImage };

/** What the element's `init-image` / `mask` properties and the app's inputs take. */
export type ImageSource = Blob | ImageBitmap | string | URL;

/** The browser calls the decoder makes; the defaults are the page's / worker's own. */
export interface DecoderPlatform {
  createImageBitmap(blob: Blob, options: ImageBitmapOptions): Promise<ImageBitmap>;
  pixels(bitmap: ImageBitmap): Uint8ClampedArray;
  fetch(url: string): Promise<Response>;
  isImageBitmap(value: unknown): value is ImageBitmap;
}

const BITMAP_OPTIONS: ImageBitmapOptions = { colorSpaceConversion: 'none', premultiplyAlpha: 'none' };

export const browserPlatform: DecoderPlatform = {
  createImageBitmap: (blob, options) => createImageBitmap(blob, options),
  pixels: bitmapPixels,
  fetch: (url) => fetch(url),
  isImageBitmap: (value): value is ImageBitmap => typeof ImageBitmap !== 'undefined' && value instanceof ImageBitmap,
};

/**
 * Decodes an image file's bytes (`what` names it in the error, e.g. "The mask") or throws
 * InvalidRequestError saying it is not a picture this browser reads.
 */
export async function decodeImageBlob(blob: Blob, what = 'The picture', platform: DecoderPlatform = browserPlatform): Promise<RgbaImage> {
  // The header first (core/image-header.ts): another format, or a side over the limit, is refused undecoded.
  const problem = imageHeaderProblem(new Uint8Array(await blob.arrayBuffer()), what, LIMITS.maxSize);
  if (problem) throw new InvalidRequestError(problem);
  let bitmap: ImageBitmap;
  try {
    bitmap = await platform.createImageBitmap(blob, BITMAP_OPTIONS);
  } catch (error) {
    const type = blob.type ? `; its type is ${blob.type}` : '';
    throw new InvalidRequestError(`${what} is not an image this browser can decode (${reason(error)}${type}): give a PNG, JPEG or WebP file.`);
  }
  try {
    return readBitmap(bitmap, what, platform);
  } finally {
    bitmap.close();
  }
}

/** A Blob, an ImageBitmap (read, not closed: the caller owns it) or a URL (fetched, then decoded). */
export async function decodeImageSource(source: ImageSource, what = 'The picture', platform: DecoderPlatform = browserPlatform): Promise<RgbaImage> {
  if (platform.isImageBitmap(source)) return readBitmap(source, what, platform);
  if (source instanceof Blob) return decodeImageBlob(source, what, platform);
  const url = String(source);
  let response: Response;
  try {
    response = await platform.fetch(url);
  } catch (error) {
    throw new InvalidRequestError(`${what} (${url}) could not be fetched: ${reason(error)}. Check the URL (and CORS, for another origin).`);
  }
  if (!response.ok) throw new InvalidRequestError(`${what} (${url}) could not be fetched: HTTP ${response.status}. Check the URL.`);
  return decodeImageBlob(await response.blob(), `${what} (${url})`, platform);
}

function readBitmap(bitmap: ImageBitmap, what: string, platform: DecoderPlatform): RgbaImage {
  const { width, height } = bitmap;
  if (width < 1 || height < 1) throw new InvalidRequestError(`${what} has no pixels (${width}x${height}), or its ImageBitmap was closed already.`);
  let data: Uint8ClampedArray;
  try {
    data = platform.pixels(bitmap);
  } catch (error) {
    throw new InvalidRequestError(`${what} could not be read as pixels: ${reason(error)}.`);
  }
  if (data.length !== width * height * 4) throw new InvalidRequestError(`${what} could not be read as pixels: ${data.length} bytes for ${width}x${height}.`);
  return { width, height, data };
}

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0].replace(/\.$/, '');
}
