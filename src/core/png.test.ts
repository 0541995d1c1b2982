/**
 * The PNG writer checked by an independent decoder: Node's zlib (inflateSync) plus the PNG spec's
 * unfiltering, written out below. CRC values are the published check values (PNG spec Annex D /
 * zlib's crc32: "123456789" -> 0xCBF43926; every IEND chunk ends in AE 42 60 82).
 */
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from './errors.js';
import { adler32 } from './png-crc32.js';
import { formatParameters, parseParameters } from './parameters.js';
import { decodePng } from '../testing/png-decode.js';
import { crc32, encodePng, readPngTextChunks, storedDeflate, streamDeflate } from './png.js';

/** A deterministic test picture: gradients, a hard edge and noise-like values, all filters useful. */
function testImage(width: number, height: number, alpha: (x: number, y: number) => number): Uint8ClampedArray {
  const px = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      px[i] = (x * 255) / Math.max(1, width - 1);
      px[i + 1] = x < width / 2 ? 20 : 230;
      px[i + 2] = (x * 7919 + y * 104729) % 251;
      px[i + 3] = alpha(x, y);
    }
  }
  return px;
}

describe('crc32', () => {
  it('gives the published check values', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082);
    expect(crc32(new Uint8Array(0))).toBe(0);
    const all = new TextEncoder().encode('123456789');
    expect(crc32(all.subarray(4), crc32(all.subarray(0, 4)))).toBe(0xcbf43926);
  });

  it('adler32 matches RFC 1950 ("Wikipedia" -> 0x11E60398)', () => {
    expect(adler32(new TextEncoder().encode('Wikipedia'))).toBe(0x11e60398);
  });
});

describe('encodePng', () => {
  it('writes a valid opaque PNG as RGB whose pixels decode back exactly (CompressionStream)', async () => {
    const px = testImage(37, 23, () => 255);
    const png = await encodePng(px, 37, 23, { parameters: 'a cat\nSteps: 20, Seed: 1' });
    const decoded = decodePng(png);
    expect(decoded).toMatchObject({ width: 37, height: 23, colorType: 2 });
    expect(decoded.rgba).toEqual(new Uint8Array(px));
    expect(decoded.chunkTypes).toEqual(['IHDR', 'tEXt', 'IDAT', 'IEND']);
    expect(readPngTextChunks(png)).toEqual({ parameters: 'a cat\nSteps: 20, Seed: 1' });
    // The IEND chunk is constant: length 0, "IEND", CRC AE 42 60 82.
    expect([...png.subarray(-12)]).toEqual([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
  });

  it('keeps alpha (RGBA) when some pixel is not opaque, and with dropOpaqueAlpha: false', async () => {
    const px = testImage(16, 9, (x, y) => (x + y) * 10);
    const decoded = decodePng(await encodePng(px, 16, 9));
    expect(decoded.colorType).toBe(6);
    expect(decoded.rgba).toEqual(new Uint8Array(px));
    const opaque = testImage(4, 4, () => 255);
    expect(decodePng(await encodePng(opaque, 4, 4, { dropOpaqueAlpha: false })).colorType).toBe(6);
  });

  it('stored-block fallback gives a valid zlib stream, also across the 65535-byte block limit', async () => {
    const px = testImage(200, 120, () => 255); // 72 120 filtered bytes: two stored blocks
    const png = await encodePng(px, 200, 120, { deflate: storedDeflate });
    expect(decodePng(png).rgba).toEqual(new Uint8Array(px));
    const empty = await storedDeflate(new Uint8Array(0));
    expect(inflateSync(empty).length).toBe(0);
  });

  it('compresses with CompressionStream: a flat image is much smaller than its pixels', async () => {
    const flat = new Uint8ClampedArray(128 * 128 * 4).fill(200);
    const png = await encodePng(flat, 128, 128, { deflate: streamDeflate });
    expect(png.length).toBeLessThan(1000);
    expect(decodePng(png).rgba).toEqual(new Uint8Array(flat));
  });

  it('rejects a pixel buffer of the wrong size and bad keywords', async () => {
    await expect(encodePng(new Uint8Array(15), 2, 2)).rejects.toThrow(InvalidRequestError);
    await expect(encodePng(new Uint8Array(16), 2, 2, { text: { '': 'x' } })).rejects.toThrow(InvalidRequestError);
    await expect(encodePng(new Uint8Array(16), 2, 2, { text: { 'k\u0100': 'x' } })).rejects.toThrow(InvalidRequestError);
  });
});

describe('text chunks never carry NUL (forbidden by the PNG specification; issue 12, item 7)', () => {
  it.each([
    ['tEXt', 'a cat\0 on a mat'],
    ['iTXt', 'a cat\0 in 東京'],
  ])('%s: NUL dropped, one separator left', async (type, text) => {
    const png = await encodePng(new Uint8Array(4).fill(255), 1, 1, { parameters: text });
    const view = new DataView(png.buffer, png.byteOffset);
    let pos = 8;
    let found = false;
    while (pos < png.length) {
      const length = view.getUint32(pos);
      const chunkType = String.fromCharCode(...png.subarray(pos + 4, pos + 8));
      if (chunkType === type) {
        const data = png.subarray(pos + 8, pos + 8 + length);
        const nuls = data.filter((b) => b === 0).length;
        // tEXt: keyword \0 text; iTXt: keyword \0 flag method language\0 translated\0 text (flag and method are 0 bytes).
        expect(nuls).toBe(type === 'tEXt' ? 1 : 5);
        found = true;
      }
      pos += 12 + length;
    }
    expect(found).toBe(true);
    expect(readPngTextChunks(png).parameters).toBe(text.replace('\0', ''));
  });
});

describe('readPngTextChunks', () => {
  it('round-trips Latin-1 text through tEXt and other text through iTXt (UTF-8)', async () => {
    const text = {
      parameters: 'crème brûlée, 50° angle\nNegative prompt: blurry\nSteps: 25, Sampler: Euler a',
      Comment: '猫 on a 🛹 — "quoted"',
    };
    const png = await encodePng(
      testImage(8, 8, () => 255),
      8,
      8,
      { text },
    );
    expect(decodePng(png).chunkTypes).toEqual(['IHDR', 'tEXt', 'iTXt', 'IDAT', 'IEND']);
    expect(readPngTextChunks(png)).toEqual(text);
  });

  it('carries generation parameters: format -> PNG -> read -> parse gives them back', async () => {
    const p = {
      prompt: 'a 🐱, watercolor',
      negativePrompt: 'blurry',
      steps: 25,
      sampler: 'Euler a',
      guidanceScale: 7.5,
      seed: 42,
      width: 8,
      height: 8,
      model: 'shapes-sd',
    };
    const png = await encodePng(
      testImage(8, 8, () => 255),
      8,
      8,
      { parameters: formatParameters(p) },
    );
    expect(decodePng(png).chunkTypes).toContain('iTXt'); // the emoji is not Latin-1
    expect(parseParameters(readPngTextChunks(png).parameters)).toEqual({ ...p, promptSyntax: 'a1111', vaeEncoder: 'Full', vaeDecoder: 'Full', extra: {} }); // no 'Prompt syntax' or 'VAE Encoder/Decoder' key: read as A1111 reads them
  });

  it('returns {} for a PNG without text and rejects non-PNG bytes', async () => {
    expect(readPngTextChunks(await encodePng(new Uint8Array(4), 1, 1))).toEqual({});
    expect(() => readPngTextChunks(new TextEncoder().encode('GIF89a....'))).toThrow(InvalidRequestError);
  });

  it('rejects a text chunk whose CRC does not match', async () => {
    const png = await encodePng(new Uint8Array(4), 1, 1, { text: { parameters: 'abc' } });
    const corrupt = png.slice();
    corrupt[8 + 25 + 8 + 'parameters'.length + 1] ^= 1; // first text byte of the tEXt after IHDR
    expect(() => readPngTextChunks(corrupt)).toThrow(/CRC/);
  });

  it('skips compressed iTXt chunks instead of misreading them', () => {
    const sig = [137, 80, 78, 71, 13, 10, 26, 10];
    const body = [...new TextEncoder().encode('iTXtkey'), 0, 1, 0, 0, 0, 0x78, 0x9c];
    const data = Uint8Array.from(body);
    const len = data.length - 4;
    const crc = crc32(data);
    const bytes = Uint8Array.from([...sig, 0, 0, 0, len, ...data, crc >>> 24, (crc >>> 16) & 255, (crc >>> 8) & 255, crc & 255]);
    expect(readPngTextChunks(bytes)).toEqual({});
  });
});
