/**
 * An independent PNG decoder for tests (8-bit RGB/RGBA, non-interlaced): Node's zlib plus the PNG
 * spec's unfiltering; verifies every chunk's CRC. Throws on anything malformed.
 */
import { inflateSync } from 'node:zlib';
import { crc32 } from '../core/png-crc32.js';

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`invalid PNG: ${what}`);
}

export interface DecodedPng {
  width: number;
  height: number;
  colorType: number;
  rgba: Uint8Array;
  chunkTypes: string[];
}

/** Max difference in 8-bit levels between a PNG's RGB and a [0,1] float32 NCHW reference rounded to levels. */
export function pngLevelError(png: Uint8Array, reference: Float32Array): number {
  const { width, height, rgba } = decodePng(png);
  const plane = width * height;
  let max = 0;
  for (let c = 0; c < 3; c++) for (let i = 0; i < plane; i++) max = Math.max(max, Math.abs(rgba[i * 4 + c] - Math.round(reference[c * plane + i] * 255)));
  return max;
}

/** Minimal independent decoder for 8-bit RGB/RGBA, non-interlaced; verifies every CRC. */
export function decodePng(png: Uint8Array): DecodedPng {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  check([...png.subarray(0, 8)].join() === '137,80,78,71,13,10,26,10', 'PNG signature');
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Uint8Array[] = [];
  const chunkTypes: string[] = [];
  while (pos < png.length) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...png.subarray(pos + 4, pos + 8));
    const data = png.subarray(pos + 8, pos + 8 + length);
    check(view.getUint32(pos + 8 + length) === crc32(png.subarray(pos + 4, pos + 8 + length)), `CRC of ${type}`);
    chunkTypes.push(type);
    if (type === 'IHDR') {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      check(data[8] === 8, 'bit depth 8');
      colorType = data[9];
      check(data[10] === 0 && data[11] === 0 && data[12] === 0, 'compression/filter/interlace 0');
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const bpp = colorType === 6 ? 4 : 3;
  const stride = width * bpp;
  check(raw.length === height * (stride + 1), 'IDAT size');
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    check(filter <= 4, 'filter type');
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i];
      const a = i >= bpp ? rows[y * stride + i - bpp] : 0;
      const b = y > 0 ? rows[(y - 1) * stride + i] : 0;
      const c = i >= bpp && y > 0 ? rows[(y - 1) * stride + i - bpp] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const pred = [0, a, b, (a + b) >> 1, paeth][filter];
      rows[y * stride + i] = (x + pred) & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let ch = 0; ch < 4; ch++) rgba[i * 4 + ch] = ch < bpp ? rows[i * bpp + ch] : 255;
  }
  return { width, height, colorType, rgba, chunkTypes };
}
