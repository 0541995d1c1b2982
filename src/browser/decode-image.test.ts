/**
 * The browser decoder's wrapping, in Node through its platform seam (the real createImageBitmap and
 * canvas are exercised in Chromium by e2e/img2img.e2e.ts): what it returns, what it closes, the
 * errors it gives for a file that does not decode, a failed fetch and a bad pixel read.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../core/errors.js';
import { decodeImageBlob, decodeImageSource, type DecoderPlatform } from './decode-image.js';

/** A PNG's signature and IHDR for width x height: all the header check reads (the fake platform decodes nothing). */
function pngHeader(width: number, height: number): Uint8Array<ArrayBuffer> {
  const bytes = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 0, 0, 0, 0, 0, 8, 6, 0, 0, 0]);
  new DataView(bytes.buffer).setUint32(16, width);
  new DataView(bytes.buffer).setUint32(20, height);
  return bytes;
}
const PNG = pngHeader(3, 2);

class FakeBitmap {
  closed = false;
  constructor(
    public width: number,
    public height: number,
  ) {}
  close(): void {
    this.closed = true;
  }
}

function platform(overrides: Partial<DecoderPlatform> = {}): DecoderPlatform & { made: FakeBitmap[]; options: ImageBitmapOptions[] } {
  const made: FakeBitmap[] = [];
  const options: ImageBitmapOptions[] = [];
  return {
    made,
    options,
    createImageBitmap: async (_blob, o) => {
      options.push(o);
      const bitmap = new FakeBitmap(3, 2);
      made.push(bitmap);
      return bitmap as unknown as ImageBitmap;
    },
    pixels: (bitmap) => Uint8ClampedArray.from({ length: bitmap.width * bitmap.height * 4 }, (_, i) => i),
    fetch: async () => new Response(new Blob([PNG], { type: 'image/png' })),
    isImageBitmap: (value): value is ImageBitmap => value instanceof FakeBitmap,
    ...overrides,
  };
}

describe('decodeImageBlob', () => {
  it("returns the bitmap's RGBA pixels at its size and closes the bitmap it made", async () => {
    const p = platform();
    const image = await decodeImageBlob(new Blob([PNG]), 'The picture', p);
    expect(image.width).toBe(3);
    expect(image.height).toBe(2);
    expect([...image.data.subarray(0, 5)]).toEqual([0, 1, 2, 3, 4]);
    expect(p.made[0].closed).toBe(true);
    // the file's own values: no colour conversion, no premultiplication
    expect(p.options[0]).toEqual({ colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  });

  it('a file that does not decode is an InvalidRequestError naming it, its type and what to give', async () => {
    const p = platform({ createImageBitmap: () => Promise.reject(new DOMException('The source image could not be decoded.', 'InvalidStateError')) });
    const error = await decodeImageBlob(new Blob([PNG, 'then not a picture'], { type: 'text/plain' }), 'The mask', p).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toBe(
      'The mask is not an image this browser can decode (The source image could not be decoded; its type is text/plain): give a PNG, JPEG or WebP file.',
    );
  });

  it('a pixel read of the wrong length is refused, and the bitmap is still closed', async () => {
    const p = platform({ pixels: () => new Uint8ClampedArray(5) });
    await expect(decodeImageBlob(new Blob([PNG]), 'The picture', p)).rejects.toThrow('The picture could not be read as pixels: 5 bytes for 3x2.');
    expect(p.made[0].closed).toBe(true);
  });
});

describe('decodeImageSource', () => {
  it('reads an ImageBitmap it is given without closing it (the caller owns it)', async () => {
    const p = platform();
    const bitmap = new FakeBitmap(1, 1);
    const image = await decodeImageSource(bitmap as unknown as ImageBitmap, 'The init image', p);
    expect([image.width, image.height, image.data.length]).toEqual([1, 1, 4]);
    expect(bitmap.closed).toBe(false);
    expect(p.made).toEqual([]);
  });

  it('fetches a URL (string or URL) and decodes its body', async () => {
    const urls: string[] = [];
    const p = platform({ fetch: async (url) => (urls.push(url), new Response(PNG)) });
    await decodeImageSource('https://example.test/a.png', 'The picture', p);
    await decodeImageSource(new URL('https://example.test/b.png'), 'The picture', p);
    expect(urls).toEqual(['https://example.test/a.png', 'https://example.test/b.png']);
    expect(p.made.map((b) => b.closed)).toEqual([true, true]);
  });

  it('says which URL failed and how', async () => {
    const notFound = platform({ fetch: async () => new Response('nope', { status: 404 }) });
    await expect(decodeImageSource('/missing.png', 'The mask', notFound)).rejects.toThrow(
      'The mask (/missing.png) could not be fetched: HTTP 404. Check the URL.',
    );
    const offline = platform({ fetch: () => Promise.reject(new TypeError('Failed to fetch')) });
    await expect(decodeImageSource('https://x.test/m.png', 'The mask', offline)).rejects.toThrow(InvalidRequestError);
    const broken = platform({ createImageBitmap: () => Promise.reject(new Error('bad')) });
    await expect(decodeImageSource('/page.html', 'The init image', broken)).rejects.toThrow(
      'The init image (/page.html) is not an image this browser can decode',
    );
  });
});

describe('the header is read before decoding (issue 25 item 10, and GIF / TIFF / SVG refused)', () => {
  it('a 16000x16000 PNG is refused without calling createImageBitmap', async () => {
    const p = platform();
    await expect(decodeImageBlob(new Blob([pngHeader(16000, 16000)]), 'The init image', p)).rejects.toThrow(
      'The init image is 16000x16000; pictures up to 2048x2048 are read: resize it first (it was not decoded).',
    );
    expect(p.made).toEqual([]);
  });

  it.each([
    ['GIF', new TextEncoder().encode('GIF89a\x01\x00\x01\x00'), 'it is a GIF file'],
    ['SVG', new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>'), 'it is a SVG (or other text) file'],
  ])('a %s is refused, named, undecoded', async (_, bytes, reason) => {
    const p = platform();
    await expect(decodeImageBlob(new Blob([bytes]), 'The mask', p)).rejects.toThrow(`The mask cannot be used: ${reason}. Give a PNG, JPEG or WebP file.`);
    expect(p.made).toEqual([]);
  });
});
