import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../core/errors.js';
import { makeManifest } from '../../tools/make-manifest.js';
import { parseManifest } from './manifest.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/tiny-sd-fp32/', import.meta.url));
const entry = { path: 'unet/weights.pb', size: 4, sha256: 'a'.repeat(64) };

describe('parseManifest', () => {
  it('reads version 1 with files', () => {
    expect(parseManifest(JSON.stringify({ version: 1, files: [entry] }), 'm')).toEqual({ version: 1, files: [entry] });
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['another version', JSON.stringify({ version: 2, files: [] }), /version 2/],
    ['files not a list', JSON.stringify({ version: 1, files: {} }), /not an array/],
    ['an absolute path', JSON.stringify({ version: 1, files: [{ ...entry, path: '/etc/passwd' }] }), /relative/],
    ['a path out of the folder', JSON.stringify({ version: 1, files: [{ ...entry, path: 'a/../../b' }] }), /relative/],
    ['a negative size', JSON.stringify({ version: 1, files: [{ ...entry, size: -1 }] }), /byte count/],
    ['an uppercase digest', JSON.stringify({ version: 1, files: [{ ...entry, sha256: 'A'.repeat(64) }] }), /hex/],
    ['a duplicate', JSON.stringify({ version: 1, files: [entry, entry] }), /twice/],
  ])('rejects %s with ModelFormatError that names the fix', (_, text, message) => {
    expect(() => parseManifest(text, 'https://h/m/manifest.json')).toThrow(ModelFormatError);
    expect(() => parseManifest(text, 'https://h/m/manifest.json')).toThrow(message);
    expect(() => parseManifest(text, 'https://h/m/manifest.json')).toThrow(/make-manifest/);
  });
});

describe('tools/make-manifest.ts', () => {
  it('lists every file of the fixture folder with its size and node:crypto SHA-256, sorted, and parses back', async () => {
    const manifest = await makeManifest(FIXTURE);
    const paths = manifest.files.map((file) => file.path);
    expect(paths).toContain('unet/weights.pb');
    expect(paths).toContain('tokenizer/vocab.json');
    expect(paths).toEqual([...paths].sort());
    for (const file of manifest.files) {
      const bytes = readFileSync(FIXTURE + file.path);
      expect(file.size).toBe(bytes.length);
      expect(file.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
    expect(parseManifest(JSON.stringify(manifest), 'generated')).toEqual(manifest);
  });
});
