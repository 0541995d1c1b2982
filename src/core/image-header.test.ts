/**
 * Image sizes read from headers (issue 25 item 10), against files sharp (libvips) writes: PNG, JPEG
 * (baseline and progressive), WebP lossy (VP8), lossless (VP8L) and extended (VP8X, with alpha);
 * GIF, TIFF and SVG are named and refused (issue 25, smaller).
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { imageHeaderProblem, readImageHeader } from './image-header.js';

const image = (width: number, height: number, alpha = false) =>
  sharp({ create: { width, height, channels: alpha ? 4 : 3, background: { r: 200, g: 100, b: 50, alpha: 0.5 } } });

describe('readImageHeader', () => {
  it.each([
    ['PNG', 'png', (w: number, h: number) => image(w, h).png().toBuffer()],
    [
      'JPEG',
      'jpeg',
      (w: number, h: number) =>
        image(w, h)
          .jpeg()
          .withMetadata({ exif: { IFD0: { Copyright: 'x'.repeat(2000) } } })
          .toBuffer(),
    ],
    ['progressive JPEG', 'jpeg', (w: number, h: number) => image(w, h).jpeg({ progressive: true }).toBuffer()],
    ['WebP lossy (VP8)', 'webp', (w: number, h: number) => image(w, h).webp().toBuffer()],
    ['WebP lossless (VP8L)', 'webp', (w: number, h: number) => image(w, h).webp({ lossless: true }).toBuffer()],
    ['WebP with alpha (VP8X)', 'webp', (w: number, h: number) => image(w, h, true).webp({ alphaQuality: 50 }).toBuffer()],
  ])('%s: the size sharp wrote', async (_, format, make) => {
    for (const [w, h] of [
      [40, 24],
      [3001, 7],
      [1, 2048],
    ]) {
      const bytes = new Uint8Array(await make(w, h));
      expect(readImageHeader(bytes), `${w}x${h}`).toEqual({ format, width: w, height: h });
    }
  });

  it('names GIF, TIFF, SVG and other files, and a PNG cut short', async () => {
    expect(readImageHeader(new Uint8Array(await image(8, 8).gif().toBuffer()))).toEqual({ problem: 'it is a GIF file' });
    expect(readImageHeader(new Uint8Array(await image(8, 8).tiff().toBuffer()))).toEqual({ problem: 'it is a TIFF file' });
    expect(readImageHeader(new TextEncoder().encode('<?xml version="1.0"?><svg width="9" height="9"/>'))).toEqual({
      problem: 'it is a SVG (or other text) file',
    });
    expect(readImageHeader(new TextEncoder().encode('hello'))).toEqual({ problem: 'it is not a PNG, JPEG or WebP file' });
    const png = new Uint8Array(await image(8, 8).png().toBuffer());
    expect(readImageHeader(png.subarray(0, 20))).toEqual({ problem: 'its PNG header is cut short or damaged' });
  });
});

describe('imageHeaderProblem', () => {
  it('refuses a 16000x16000 PNG from its header (the IHDR alone)', () => {
    const png = Uint8Array.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0x3e, 0x80, 0, 0, 0x3e, 0x80, 8, 6, 0, 0, 0,
    ]);
    expect(imageHeaderProblem(png, 'The init image', 2048)).toBe(
      'The init image is 16000x16000; pictures up to 2048x2048 are read: resize it first (it was not decoded).',
    );
  });
  it('passes a picture within the limit', async () => {
    expect(imageHeaderProblem(new Uint8Array(await image(64, 32).png().toBuffer()), 'x', 2048)).toBeNull();
  });
});
