/**
 * Node's image decoder for the CLI: PNG, JPEG, WebP (and what else libvips reads) to 8-bit RGBA with
 * `sharp` (libvips; the decoder @huggingface/transformers already uses in Node). Pixel values are the
 * file's own (no colour management), as PIL reads them for diffusers. An EXIF orientation is applied
 * (`rotate()` with no angle), as diffusers' `load_image` (`ImageOps.exif_transpose`) and the browser's
 * `createImageBitmap` (src/browser/decode-image.ts) do, so a phone photo is the same picture everywhere.
 */
import sharp from 'sharp';
import { InvalidRequestError } from '../core/errors.js';
import type { RgbaImage } from '../core/init-image.js';

/** Decodes `bytes` (from `what`, named in the error) or throws InvalidRequestError saying why. */
export async function decodeImage(bytes: Uint8Array, what: string): Promise<RgbaImage> {
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error' }).rotate().ensureAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`${info.channels} channels after conversion`);
    return { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new InvalidRequestError(`${what} is not an image this tool can read (PNG, JPEG or WebP): ${reason}.`);
  }
}
