/**
 * Node's image decoder for the CLI: PNG, JPEG or WebP (other formats are refused) to 8-bit RGBA with
 * `sharp` (libvips; the decoder @huggingface/transformers already uses in Node). Pixel values are the
 * file's own (no colour management), as PIL reads them for diffusers. An EXIF orientation is applied
 * (`rotate()` with no angle), as diffusers' `load_image` (`ImageOps.exif_transpose`) and the browser's
 * `createImageBitmap` (src/browser/decode-image.ts) do, so a phone photo is the same picture everywhere.
 */
import sharp from 'sharp';
import { InvalidRequestError } from '../core/errors.js';
import { imageHeaderProblem } from '../core/image-header.js';
import { LIMITS } from '../engine/request/request.js';
import type { RgbaImage } from '../core/init-image.js';

/**
 * Decodes `bytes` (from `what`, named in the error) or throws InvalidRequestError saying why. The
 * header is read first (core/image-header.ts): a file that is not PNG, JPEG or WebP, or a picture
 * with a side over the request limit, is refused before a pixel is decoded.
 */
export async function decodeImage(bytes: Uint8Array, what: string): Promise<RgbaImage> {
  const problem = imageHeaderProblem(bytes, what, LIMITS.maxSize);
  if (problem) throw new InvalidRequestError(problem);
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error', limitInputPixels: LIMITS.maxSize * LIMITS.maxSize })
      .rotate()
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`${info.channels} channels after conversion`);
    return { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new InvalidRequestError(`${what} is not an image this tool can read (PNG, JPEG or WebP): ${reason}.`);
  }
}
