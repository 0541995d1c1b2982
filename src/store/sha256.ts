/**
 * Incremental SHA-256 (FIPS 180-4) in TypeScript.
 *
 * Why not crypto.subtle: WebCrypto has no streaming digest, so hashing a 1.7 GB download with it
 * would need the whole file in memory at once. This hasher takes the bytes chunk by chunk, and its
 * state can be saved with every stored chunk (`save()` / `Sha256.restore()`) so a download resumed
 * in a later visit continues the same digest without reading the stored bytes back.
 *
 * Algorithm: FIPS 180-4 §6.2. The compression function, with its 64 rounds written out (the form
 * V8 runs fastest), is generated into sha256-compress.ts by tools/gen-sha256-compress.ts.
 */
import { compress } from './sha256-compress.js';

const INITIAL = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/** A hasher's state between two `update` calls: structured-cloneable, so it can live in IndexedDB. */
export interface Sha256State {
  /** The eight working words H0..H7 as signed 32-bit integers. */
  h: number[];
  /** Bytes hashed so far (including `pending`). */
  length: number;
  /** Bytes of an incomplete 64-byte block (empty when `length` is a multiple of 64). */
  pending: Uint8Array;
}

export class Sha256 {
  readonly #h = new Int32Array(INITIAL);
  readonly #block = new Uint8Array(64);
  readonly #blockView = new DataView(this.#block.buffer);
  #blockLength = 0;
  #length = 0;
  #finished = false;

  /** Continues a digest from a state saved by `save()`. */
  static restore(state: Sha256State): Sha256 {
    if (state.h.length !== 8 || state.pending.length >= 64 || state.length % 64 !== state.pending.length) {
      throw new RangeError('Sha256.restore: the saved state is inconsistent.');
    }
    const hasher = new Sha256();
    hasher.#h.set(state.h);
    hasher.#block.set(state.pending);
    hasher.#blockLength = state.pending.length;
    hasher.#length = state.length;
    return hasher;
  }

  /** Bytes hashed so far. */
  get length(): number {
    return this.#length;
  }

  update(data: Uint8Array): this {
    if (this.#finished) throw new Error('Sha256.update after digest()');
    let offset = 0;
    const n = data.length;
    this.#length += n;
    if (this.#blockLength > 0) {
      const take = Math.min(64 - this.#blockLength, n);
      this.#block.set(data.subarray(0, take), this.#blockLength);
      this.#blockLength += take;
      offset = take;
      if (this.#blockLength < 64) return this;
      compress(this.#h, this.#blockView, 0, 64);
      this.#blockLength = 0;
    }
    const whole = (n - offset) & ~63;
    if (whole > 0) {
      // The whole blocks are read in place (big-endian words through a DataView), never copied.
      compress(this.#h, new DataView(data.buffer, data.byteOffset + offset, whole), 0, whole);
      offset += whole;
    }
    if (offset < n) {
      this.#block.set(data.subarray(offset), 0);
      this.#blockLength = n - offset;
    }
    return this;
  }

  /** The state to resume from later; the hasher stays usable. */
  save(): Sha256State {
    return { h: Array.from(this.#h), length: this.#length, pending: this.#block.slice(0, this.#blockLength) };
  }

  /** The 32-byte digest; the hasher cannot be updated afterwards. */
  digest(): Uint8Array {
    if (this.#finished) throw new Error('Sha256.digest called twice');
    this.#finished = true;
    const bitsHigh = Math.floor(this.#length / 0x20000000);
    const bitsLow = (this.#length << 3) >>> 0;
    const padLength = this.#blockLength < 56 ? 64 : 128;
    const pad = new Uint8Array(padLength);
    pad.set(this.#block.subarray(0, this.#blockLength));
    pad[this.#blockLength] = 0x80;
    const view = new DataView(pad.buffer);
    view.setUint32(padLength - 8, bitsHigh);
    view.setUint32(padLength - 4, bitsLow);
    compress(this.#h, view, 0, padLength);
    const out = new Uint8Array(32);
    const outView = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) outView.setInt32(i * 4, this.#h[i]!);
    return out;
  }

  hex(): string {
    return toHex(this.digest());
  }
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += bytes[i]!.toString(16).padStart(2, '0');
  return out;
}

/** SHA-256 of one buffer with the platform's native WebCrypto (used per stored chunk). */
export async function sha256Native(bytes: Uint8Array): Promise<string> {
  // WebCrypto's BufferSource excludes views over SharedArrayBuffer; our chunks never are.
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return toHex(new Uint8Array(digest));
}
