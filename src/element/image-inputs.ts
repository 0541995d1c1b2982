/**
 * The element's picture inputs (img2img / inpainting): `initImage` and `mask`, each a Blob (a file
 * from an <input type="file">, a fetch's blob), an ImageBitmap or a URL string (the `init-image` /
 * `mask` attributes, resolved against the page), turned into the engine's RgbaImage by the browser's
 * one decoder (src/browser/decode-image.ts, shared with the app), whose one-line InvalidRequestErrors
 * say what went wrong (a URL that cannot be fetched, bytes that are not a picture). What is left here:
 * which inputs count as given, URLs against the page, the mask-without-image check before any fetch,
 * and a deterministic report when both pictures fail. The decoder is injected (the unit tests' seam).
 */
import { InvalidRequestError } from '../core/errors.js';
import type { RgbaImage } from '../core/init-image.js';

/** What the `initImage` and `mask` properties take. */
export type ImageInput = Blob | ImageBitmap | string;

export interface ImageLoader {
  /** The page's URL, which relative URLs resolve against. */
  baseUrl: string;
  /** Decodes a Blob, an ImageBitmap or an absolute URL (fetched), throwing a one-line error naming `what` (decodeImageSource). */
  decode: (source: Blob | ImageBitmap | string, what: string) => Promise<RgbaImage>;
}

type Field = 'initImage' | 'mask';
const WHAT: Record<Field, string> = { initImage: 'The init image', mask: 'The mask' };

function isImageBitmap(value: unknown): value is ImageBitmap {
  return typeof ImageBitmap !== 'undefined' && value instanceof ImageBitmap;
}

/** Whether `value` is something the initImage / mask properties take (besides null). */
export function isImageInput(value: unknown): value is ImageInput {
  return typeof value === 'string' || (typeof Blob !== 'undefined' && value instanceof Blob) || isImageBitmap(value);
}

/** A property or attribute that holds a picture: not null, not an empty attribute. */
function given(input: ImageInput | null): input is ImageInput {
  return input !== null && !(typeof input === 'string' && input.trim() === '');
}

/** The decoded picture `input` names (null when there is none: no property and no attribute). */
export async function loadImageInput(field: Field, input: ImageInput | null, loader: ImageLoader): Promise<RgbaImage | null> {
  if (!given(input)) return null;
  if (!isImageInput(input)) throw new InvalidRequestError(`The ${field} property takes a Blob, an ImageBitmap or a URL string.`, field);
  if (typeof input !== 'string') return loader.decode(input, WHAT[field]);
  let url: string;
  try {
    url = new URL(input.trim(), loader.baseUrl).href;
  } catch {
    throw new InvalidRequestError(`${WHAT[field]} attribute is not a URL (got "${input}").`, field);
  }
  return loader.decode(url, WHAT[field]);
}

/**
 * The init image and the mask, decoded (nulls when neither is set). A mask without an init image is
 * refused before anything is fetched.
 */
export async function loadImageInputs(
  initImage: ImageInput | null,
  mask: ImageInput | null,
  loader: ImageLoader,
): Promise<{ initImage: RgbaImage | null; mask: RgbaImage | null }> {
  if (given(mask) && !given(initImage)) {
    throw new InvalidRequestError('A mask needs an init image: set init-image (or the initImage property) to the picture to inpaint as well.', 'mask');
  }
  // Fetched and decoded side by side; when both fail, the init image's problem is the one reported.
  const image = loadImageInput('initImage', initImage, loader);
  const maskImage = loadImageInput('mask', mask, loader);
  maskImage.catch(() => undefined);
  return { initImage: await image, mask: await maskImage };
}
