/**
 * PNG writer (8-bit RGBA or RGB, non-interlaced) with text metadata, and a reader for that metadata.
 * Follows the PNG specification (W3C, 3rd ed.): signature, IHDR, text chunks, IDAT, IEND, each
 * chunk `length | type | data | CRC-32(type + data)`; IDAT is a zlib stream of the filtered rows.
 *
 * Metadata is written the way AUTOMATIC1111 writes its `parameters` through PIL's `PngInfo.add_text`:
 * a `tEXt` chunk when keyword and text are Latin-1, else an uncompressed `iTXt` chunk with UTF-8 text.
 * Text chunks go before IDAT, so readers can stop early.
 *
 * Compression uses the platform's `CompressionStream('deflate')` (zlib format; browsers, workers,
 * Node >= 18) and falls back to stored (uncompressed) deflate blocks where it is missing.
 * Rows are filtered per row with libpng's heuristic (the filter with the least sum of |bytes|).
 */
import { InvalidRequestError } from './errors.js';
import { adler32, crc32 } from './png-crc32.js';

export { crc32 } from './png-crc32.js';

/** zlib-compresses (RFC 1950) a buffer. The seam tests and odd runtimes use. */
export type ZlibDeflate = (data: Uint8Array) => Promise<Uint8Array>;

export interface EncodePngOptions {
  /** The generation parameters text (A1111 infotext, see parameters.ts), stored under keyword `parameters`. */
  parameters?: string;
  /** Other text metadata, keyword -> text. */
  text?: Readonly<Record<string, string>>;
  /** Defaults to `CompressionStream('deflate')` where available, else `storedDeflate`. */
  deflate?: ZlibDeflate;
  /** Drop the alpha channel when every pixel is opaque (as A1111 saves RGB). Default true. */
  dropOpaqueAlpha?: boolean;
}

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const COLOR_RGB = 2;
const COLOR_RGBA = 6;

/** Encodes `rgba` (width * height * 4 bytes, row-major, top row first) as a PNG file. */
export async function encodePng(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, options: EncodePngOptions = {}): Promise<Uint8Array> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InvalidRequestError(`PNG size must be positive integers (got ${width}x${height}).`);
  }
  if (rgba.length !== width * height * 4) {
    throw new InvalidRequestError(`PNG pixels: expected ${width * height * 4} RGBA bytes for ${width}x${height}, got ${rgba.length}.`);
  }
  const opaque = (options.dropOpaqueAlpha ?? true) && isOpaque(rgba);
  const channels = opaque ? 3 : 4;

  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = opaque ? COLOR_RGB : COLOR_RGBA;
  // [10..12]: compression 0 (deflate), filter method 0 (adaptive), interlace 0 (none)

  const deflate = options.deflate ?? defaultDeflate();
  const idat = await deflate(filterRows(rgba, width, height, channels));

  const text = { ...(options.parameters === undefined ? {} : { parameters: options.parameters }), ...options.text };
  const chunks = [chunk('IHDR', ihdr)];
  for (const [keyword, value] of Object.entries(text)) chunks.push(textChunk(keyword, value));
  chunks.push(chunk('IDAT', idat), chunk('IEND', new Uint8Array(0)));
  return concat([SIGNATURE, ...chunks]);
}

/**
 * The `tEXt` and uncompressed `iTXt` chunks of a PNG, keyword -> text (a later chunk wins).
 * Compressed `zTXt` / `iTXt` chunks are skipped. Throws on a non-PNG or a text chunk with a bad CRC.
 */
export function readPngTextChunks(bytes: Uint8Array): Record<string, string> {
  if (bytes.length < SIGNATURE.length || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new InvalidRequestError('Not a PNG file (its first 8 bytes are not the PNG signature).');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record<string, string> = {};
  let pos = SIGNATURE.length;
  while (pos + 12 <= bytes.length) {
    const length = view.getUint32(pos);
    const type = latin1(bytes.subarray(pos + 4, pos + 8));
    const end = pos + 12 + length;
    if (end > bytes.length) throw new InvalidRequestError(`PNG chunk ${type} runs past the end of the file (truncated download?).`);
    if (type === 'IEND') break;
    if (type === 'tEXt' || type === 'iTXt') {
      const typeAndData = bytes.subarray(pos + 4, pos + 8 + length);
      if (crc32(typeAndData) !== view.getUint32(pos + 8 + length)) {
        throw new InvalidRequestError(`PNG ${type} chunk has a bad CRC: the file is corrupt.`);
      }
      const entry = type === 'tEXt' ? parseText(typeAndData.subarray(4)) : parseInternationalText(typeAndData.subarray(4));
      if (entry) out[entry[0]] = entry[1];
    }
    pos = end;
  }
  return out;
}

/** zlib stream of stored (uncompressed) deflate blocks: valid everywhere, no compression. */
export const storedDeflate: ZlibDeflate = async (data) => {
  const blocks = Math.max(1, Math.ceil(data.length / 0xffff));
  const out = new Uint8Array(2 + data.length + blocks * 5 + 4);
  out[0] = 0x78; // CM 8 (deflate), CINFO 7 (32K window)
  out[1] = 0x01; // FLEVEL 0, FCHECK so that 0x7801 % 31 == 0
  let o = 2;
  for (let b = 0; b < blocks; b++) {
    const start = b * 0xffff;
    const len = Math.min(0xffff, data.length - start);
    out[o++] = b === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00
    out[o++] = len & 0xff;
    out[o++] = len >>> 8;
    out[o++] = ~len & 0xff;
    out[o++] = (~len >>> 8) & 0xff;
    out.set(data.subarray(start, start + len), o);
    o += len;
  }
  new DataView(out.buffer).setUint32(o, adler32(data));
  return out;
};

/** `CompressionStream('deflate')` (zlib format, as PNG needs) read to the end. */
export const streamDeflate: ZlibDeflate = async (data) => {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('deflate'));
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  return concat(parts);
};

function defaultDeflate(): ZlibDeflate {
  return typeof CompressionStream === 'function' && typeof Blob === 'function' ? streamDeflate : storedDeflate;
}

function isOpaque(rgba: Uint8Array | Uint8ClampedArray): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}

/** Each row prefixed by its filter type (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth). */
function filterRows(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array(height * (stride + 1));
  let prev = new Uint8Array(stride); // the row above the first is zeros
  let row = new Uint8Array(stride);
  const candidates = Array.from({ length: 5 }, () => new Uint8Array(stride));
  for (let y = 0; y < height; y++) {
    for (let x = 0, s = y * width * 4; x < width; x++, s += 4) {
      for (let c = 0; c < bpp; c++) row[x * bpp + c] = rgba[s + c];
    }
    let best = 0;
    let bestCost = Infinity;
    for (let f = 0; f < 5; f++) {
      const filtered = candidates[f];
      let cost = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? row[i - bpp] : 0;
        const b = prev[i];
        const c = i >= bpp ? prev[i - bpp] : 0;
        const predictor = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >>> 1 : paeth(a, b, c);
        const v = (row[i] - predictor) & 0xff;
        filtered[i] = v;
        cost += v < 128 ? v : 256 - v;
      }
      if (cost < bestCost) {
        bestCost = cost;
        best = f;
      }
    }
    const o = y * (stride + 1);
    out[o] = best;
    out.set(candidates[best], o + 1);
    [prev, row] = [row, prev];
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * tEXt for Latin-1 text, else iTXt (uncompressed, UTF-8), as PIL's PngInfo.add_text decides. The
 * PNG specification forbids NUL in text (it separates the fields), so NUL characters are dropped.
 */
function textChunk(keyword: string, value: string): Uint8Array {
  const text = value.replaceAll('\0', '');
  // PNG keywords: 1-79 Latin-1 printable characters, no leading, trailing or double spaces.
  if (!/^[\x20-\x7e\xa1-\xff]{1,79}$/.test(keyword) || /^ | $| {2}/.test(keyword)) {
    throw new InvalidRequestError(`"${keyword}" is not a valid PNG text keyword (1-79 Latin-1 characters, no edge or double spaces).`);
  }
  const key = latin1Bytes(keyword);
  if (isLatin1(text)) return chunk('tEXt', concat([key, Uint8Array.of(0), latin1Bytes(text)]));
  // keyword \0 | compression flag 0 | method 0 | language tag "" \0 | translated keyword "" \0 | UTF-8 text
  return chunk('iTXt', concat([key, Uint8Array.of(0, 0, 0, 0, 0), new TextEncoder().encode(text)]));
}

function parseText(data: Uint8Array): [string, string] | null {
  const nul = data.indexOf(0);
  if (nul < 1) return null;
  return [latin1(data.subarray(0, nul)), latin1(data.subarray(nul + 1))];
}

function parseInternationalText(data: Uint8Array): [string, string] | null {
  const nul = data.indexOf(0);
  if (nul < 1 || nul + 3 > data.length) return null;
  const compressed = data[nul + 1] !== 0;
  const language = data.indexOf(0, nul + 3);
  const translated = language < 0 ? -1 : data.indexOf(0, language + 1);
  if (compressed || translated < 0) return null;
  return [latin1(data.subarray(0, nul)), new TextDecoder('utf-8').decode(data.subarray(translated + 1))];
}

function isLatin1(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false;
  return true;
}

function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** ISO-8859-1 decoding (TextDecoder('latin1') would be windows-1252). */
function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return s;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
