/**
 * The element's picture inputs without a browser: URLs resolved against the page, Blobs and URLs
 * handed to the decoder with the name its errors use, the mask-without-image check before any fetch,
 * and which failure is reported when both pictures fail. The decoder itself (src/browser/decode-image.ts)
 * has its own tests; the real one runs in Chromium in e2e/element-img2img.e2e.ts.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../core/errors.js';
import { isImageInput, loadImageInput, loadImageInputs, type ImageLoader } from './image-inputs.js';

const PAGE = 'https://site.example/blog/post.html';

/** A loader whose decoder logs what it is asked for; URLs under /missing/ fail as the real decoder's 404 does. */
function fakeLoader(log: string[] = []): ImageLoader {
  return {
    baseUrl: PAGE,
    decode: async (source, what) => {
      const name = typeof source === 'string' ? source : source instanceof File ? `File ${source.name}` : 'Blob';
      log.push(`${what}: ${name}`);
      if (typeof source === 'string' && source.includes('/missing/'))
        throw new InvalidRequestError(`${what} (${source}) could not be fetched: HTTP 404. Check the URL.`);
      return { width: 1, height: 1, data: new Uint8ClampedArray([1, 2, 3, 255]) };
    },
  };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error) => error,
  );
}

describe('loadImageInput', () => {
  it("resolves a URL attribute against the page, and names the picture for the decoder's errors", async () => {
    const log: string[] = [];
    const image = await loadImageInput('initImage', ' pics/a.png ', fakeLoader(log));
    await loadImageInput('mask', '/m.png', fakeLoader(log));
    await loadImageInput('mask', 'https://cdn.example/m.png', fakeLoader(log));
    expect(image).toEqual({ width: 1, height: 1, data: new Uint8ClampedArray([1, 2, 3, 255]) });
    expect(log).toEqual([
      'The init image: https://site.example/blog/pics/a.png',
      'The mask: https://site.example/m.png',
      'The mask: https://cdn.example/m.png',
    ]);
  });

  it('hands a Blob (or File) to the decoder as it is', async () => {
    const log: string[] = [];
    await loadImageInput('mask', new File([new Uint8Array(4)], 'mask.png', { type: 'image/png' }), fakeLoader(log));
    await loadImageInput('initImage', new Blob([new Uint8Array(4)]), fakeLoader(log));
    expect(log).toEqual(['The mask: File mask.png', 'The init image: Blob']);
  });

  it('treats null and an empty attribute as no picture, without decoding', async () => {
    const log: string[] = [];
    expect(await loadImageInput('initImage', null, fakeLoader(log))).toBeNull();
    expect(await loadImageInput('mask', '  ', fakeLoader(log))).toBeNull();
    expect(log).toEqual([]);
  });

  it('refuses what is not a Blob, ImageBitmap or string, and a URL that does not parse', async () => {
    const error = await failure(loadImageInput('initImage', { width: 1 } as unknown as Blob, fakeLoader()));
    expect(error).toMatchObject({
      name: 'InvalidRequestError',
      field: 'initImage',
      message: 'The initImage property takes a Blob, an ImageBitmap or a URL string.',
    });
    const bad = await failure(loadImageInput('mask', 'http://[::1', { ...fakeLoader(), baseUrl: 'about:blank' }));
    expect(bad).toMatchObject({ name: 'InvalidRequestError', field: 'mask', message: 'The mask attribute is not a URL (got "http://[::1").' });
    expect(isImageInput('a.png')).toBe(true);
    expect(isImageInput(new Blob([]))).toBe(true);
    expect(isImageInput({ width: 1 })).toBe(false);
    expect(isImageInput(3)).toBe(false);
  });
});

describe('loadImageInputs', () => {
  it('gives nulls for text-to-image, and both pictures for inpainting', async () => {
    expect(await loadImageInputs(null, '', fakeLoader())).toEqual({ initImage: null, mask: null });
    const both = await loadImageInputs('/a.png', '/m.png', fakeLoader());
    expect([both.initImage?.width, both.mask?.width]).toEqual([1, 1]);
  });

  it('refuses a mask without an init image before fetching anything', async () => {
    const log: string[] = [];
    const error = await failure(loadImageInputs(null, '/m.png', fakeLoader(log)));
    expect(error).toMatchObject({
      name: 'InvalidRequestError',
      field: 'mask',
      message: 'A mask needs an init image: set init-image (or the initImage property) to the picture to inpaint as well.',
    });
    const blank = await failure(loadImageInputs(' ', new Blob([]), fakeLoader(log)));
    expect(blank.message).toMatch(/^A mask needs an init image/);
    expect(log).toEqual([]);
  });

  it("reports the init image's problem when both pictures fail, and the mask's when only it fails", async () => {
    const both = await failure(loadImageInputs('/missing/a.png', '/missing/m.png', fakeLoader()));
    expect(both.message).toBe('The init image (https://site.example/missing/a.png) could not be fetched: HTTP 404. Check the URL.');
    const mask = await failure(loadImageInputs('/a.png', '/missing/m.png', fakeLoader()));
    expect(mask.message).toBe('The mask (https://site.example/missing/m.png) could not be fetched: HTTP 404. Check the URL.');
  });
});
