/**
 * An image file's format and size read from its header, before any pixel is decoded, so that a
 * picture too large for the engine (a 776 KB PNG of 16000x16000 decodes to 1 GB) is refused at once,
 * and formats other than the documented PNG, JPEG and WebP (GIF, TIFF, SVG, BMP, AVIF...) are named
 * and refused instead of being decoded by whatever the platform happens to read.
 *
 * Layouts: PNG (ISO/IEC 15948): the 8-byte signature, then the IHDR chunk, width and height as
 * big-endian uint32 at bytes 16 and 20. JPEG (ITU T.81, B.2): marker segments from SOI; the frame
 * header SOFn (FFC0-FFCF but C4 DHT, C8 JPG, CC DAC) holds precision, then height and width as
 * big-endian uint16. WebP (RFC 9649): RIFF....WEBP, then the first chunk: `VP8 ` (lossy: after a
 * 3-byte frame tag and the start code 9D 01 2A, 14-bit width and height, little-endian), `VP8L`
 * (lossless: after the 0x2F signature, 14-bit width - 1 and height - 1 packed in 28 bits) or `VP8X`
 * (extended: 24-bit canvas width - 1 and height - 1 at bytes 24 and 27).
 */
export type ImageFormat = 'png' | 'jpeg' | 'webp';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

/** Formats recognised only to be named in the refusal. */
const OTHER_FORMATS: [string, (b: Uint8Array) => boolean][] = [
  ['GIF', (b) => ascii(b, 0, 4) === 'GIF8'],
  ['TIFF', (b) => ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*'],
  ['BMP', (b) => ascii(b, 0, 2) === 'BM'],
  ['AVIF or HEIF', (b) => ascii(b, 4, 8) === 'ftyp'],
  ['SVG (or other text)', (b) => /^(?:\uFEFF)?\s*</.test(ascii(b, 0, Math.min(b.length, 256)))],
];

function ascii(b: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...b.subarray(start, end));
}

/** The header of a PNG, JPEG or WebP file, or a sentence saying why there is none. */
export function readImageHeader(bytes: Uint8Array): ImageHeader | { problem: string } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const truncated = (format: string) => ({ problem: `its ${format} header is cut short or damaged` });
  if (bytes.length >= 8 && view.getUint32(0) === 0x89504e47 && view.getUint32(4) === 0x0d0a1a0a) {
    if (bytes.length < 24 || ascii(bytes, 12, 16) !== 'IHDR') return truncated('PNG');
    return { format: 'png', width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return jpegHeader(bytes, view) ?? truncated('JPEG');
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return webpHeader(bytes, view) ?? truncated('WebP');
  const other = OTHER_FORMATS.find(([, test]) => test(bytes));
  return { problem: other ? `it is a ${other[0]} file` : 'it is not a PNG, JPEG or WebP file' };
}

function jpegHeader(bytes: Uint8Array, view: DataView): ImageHeader | null {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // TEM and RSTn stand alone
      continue;
    }
    const length = view.getUint16(at + 2);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return at + 9 <= bytes.length ? { format: 'jpeg', height: view.getUint16(at + 5), width: view.getUint16(at + 7) } : null;
    if (marker === 0xd9 || marker === 0xda || length < 2) return null; // end of image or scan before any frame header
    at += 2 + length;
  }
  return null;
}

function webpHeader(bytes: Uint8Array, view: DataView): ImageHeader | null {
  const chunk = ascii(bytes, 12, 16);
  if (chunk === 'VP8 ' && bytes.length >= 30 && bytes[23] === 0x9d && bytes[24] === 0x01 && bytes[25] === 0x2a) {
    return { format: 'webp', width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
  }
  if (chunk === 'VP8L' && bytes.length >= 25 && bytes[20] === 0x2f) {
    const bits = view.getUint32(21, true);
    return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X' && bytes.length >= 30) {
    const u24 = (at: number) => bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
    return { format: 'webp', width: u24(24) + 1, height: u24(27) + 1 };
  }
  return null;
}

/**
 * Why `bytes` cannot be an input picture (`what` names it), before decoding: not a PNG, JPEG or WebP,
 * a damaged header, or a side over `maxSide` pixels. Null when the header is fine.
 */
export function imageHeaderProblem(bytes: Uint8Array, what: string, maxSide: number): string | null {
  const header = readImageHeader(bytes);
  if ('problem' in header) return `${what} cannot be used: ${header.problem}. Give a PNG, JPEG or WebP file.`;
  const { width, height } = header;
  if (width < 1 || height < 1) return `${what} has no pixels (${width}x${height}).`;
  if (width > maxSide || height > maxSide)
    return `${what} is ${width}x${height}; pictures up to ${maxSide}x${maxSide} are read: resize it first (it was not decoded).`;
  return null;
}
