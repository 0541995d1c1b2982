/** `--init-image`, `--mask`, `--strength`: read and decode the pictures up front (a bad file fails before any model loads). */
import { readFile } from 'node:fs/promises';
import { InvalidRequestError } from '../core/errors.js';
import type { RgbaImage } from '../core/init-image.js';
import type { ImageRequestFields } from '../engine/request/image-request.js';
import { decodeImage } from '../node/decode-image.js';

async function readImage(path: string, flag: 'init-image' | 'mask'): Promise<RgbaImage> {
  const field = flag === 'mask' ? 'mask' : 'initImage';
  const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new InvalidRequestError(`--${flag} ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}.`, field);
  });
  return decodeImage(bytes, `--${flag} ${path}`).catch((error: Error) => {
    throw new InvalidRequestError(error.message, field);
  });
}

/** The request's image fields from the flags ({} for text-to-image); the request validator checks them with the rest. */
export async function readImageFlags(initImage: string | undefined, mask: string | undefined, strength: number | undefined): Promise<ImageRequestFields> {
  return {
    ...(initImage === undefined ? {} : { initImage: await readImage(initImage, 'init-image') }),
    ...(mask === undefined ? {} : { mask: await readImage(mask, 'mask') }),
    ...(strength === undefined ? {} : { strength }),
  };
}
