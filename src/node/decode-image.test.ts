/**
 * Node's image decoder: a PNG's exact pixels (against the independent test decoder), an EXIF
 * orientation applied as diffusers' load_image and the browser apply it, and the error for a file
 * that is not a picture.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../core/errors.js';
import { decodePng } from '../testing/png-decode.js';
import { decodeImage } from './decode-image.js';

describe('decodeImage (Node)', () => {
  it("gives a PNG's own pixels", async () => {
    const bytes = readFileSync('fixtures/img2img/public/init_B.png');
    const image = await decodeImage(bytes, 'init_B.png');
    const reference = decodePng(new Uint8Array(bytes));
    expect([image.width, image.height]).toEqual([reference.width, reference.height]);
    expect(Buffer.from(image.data).equals(Buffer.from(reference.rgba))).toBe(true);
  });

  it('applies an EXIF orientation (6: rotate 90° clockwise), as the browser does', async () => {
    // 4x2: left half red, right half blue; rotated clockwise it is 2x4, red on top.
    const [r, b] = [
      [255, 0, 0],
      [0, 0, 255],
    ];
    const pixels = Buffer.from([r, r, b, b, r, r, b, b].flat());
    const png = await sharp(pixels, { raw: { width: 4, height: 2, channels: 3 } })
      .withMetadata({ orientation: 6 })
      .png()
      .toBuffer();
    const image = await decodeImage(png, 'rotated.png');
    expect([image.width, image.height]).toEqual([2, 4]);
    expect([...image.data.subarray(0, 4)]).toEqual([255, 0, 0, 255]);
    expect([...image.data.subarray(image.data.length - 4)]).toEqual([0, 0, 255, 255]);
  });

  it('refuses a file that is not a picture, naming it', async () => {
    const error = await decodeImage(new TextEncoder().encode('not a picture'), 'notes.png').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toBe('notes.png cannot be used: it is not a PNG, JPEG or WebP file. Give a PNG, JPEG or WebP file.');
  });
});
