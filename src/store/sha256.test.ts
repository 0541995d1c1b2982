import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generate, OUTPUT } from '../../tools/gen-sha256-compress.js';
import { Sha256, sha256Native } from './sha256.js';

const text = (s: string) => new TextEncoder().encode(s);
const nodeHex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('Sha256', () => {
  // FIPS 180-4 example vectors (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf").
  it.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
  ])('matches the NIST vector for %j', (input, digest) => {
    expect(new Sha256().update(text(input)).hex()).toBe(digest);
  });

  it('matches the NIST vector for one million "a"', () => {
    expect(new Sha256().update(new Uint8Array(1_000_000).fill(0x61)).hex()).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it("gives node:crypto's digest however the input is split, at every padding boundary", () => {
    for (const length of [55, 56, 63, 64, 65, 119, 120, 128, 1000, 100_003]) {
      const data = randomBytes(length);
      const hasher = new Sha256();
      for (let pos = 0; pos < length; ) {
        const step = 1 + ((pos * 7919) % 97);
        hasher.update(data.subarray(pos, pos + step));
        pos += step;
      }
      expect(hasher.hex(), `length ${length}`).toBe(nodeHex(data));
    }
  });

  it("gives node:crypto's digest for 3 MiB of random bytes fed in irregular pieces", () => {
    const data = randomBytes(3 * 1024 * 1024);
    const pieces = [1, 63, 64, 65, 1024 * 1024 + 7, 0, 127, 128, 129, 3, 4096, 1024 * 1024 - 5, 55, 56, 57, 100_001];
    const hasher = new Sha256();
    let pos = 0;
    for (let i = 0; pos < data.length; i++) {
      const step = pieces[i % pieces.length]!;
      hasher.update(data.subarray(pos, pos + step));
      pos += step;
    }
    expect(hasher.length).toBe(data.length);
    expect(hasher.hex()).toBe(nodeHex(data));
  });

  it('resumes from a saved state (structured-cloned, as IndexedDB stores it) at any offset', () => {
    const data = randomBytes(10_000);
    for (const cut of [0, 1, 63, 64, 100, 4096, 9999]) {
      const first = new Sha256().update(data.subarray(0, cut));
      const state = structuredClone(first.save());
      expect(state.length).toBe(cut);
      expect(state.pending.length).toBe(cut % 64);
      const resumed = Sha256.restore(state).update(data.subarray(cut));
      expect(resumed.hex(), `cut at ${cut}`).toBe(nodeHex(data));
    }
  });

  it('rejects an inconsistent saved state', () => {
    expect(() => Sha256.restore({ h: [1, 2, 3], length: 0, pending: new Uint8Array(0) })).toThrow(RangeError);
    expect(() => Sha256.restore({ h: new Array(8).fill(0), length: 70, pending: new Uint8Array(0) })).toThrow(RangeError);
  });

  it('sha256Native (WebCrypto, used per chunk) agrees', async () => {
    const data = randomBytes(70_000);
    expect(await sha256Native(data)).toBe(nodeHex(data));
  });
});

describe('sha256-compress.ts', () => {
  it('is exactly what tools/gen-sha256-compress.ts writes (regenerate with npm run gen:sha256)', () => {
    expect(readFileSync(OUTPUT, 'utf8')).toBe(generate());
  });
});
