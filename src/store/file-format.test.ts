import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../core/errors.js';
import { checkFileStart } from './file-format.js';

const fixture = (path: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/tiny-sd-fp32/${path}`, import.meta.url)));
const bytes = (s: string) => new TextEncoder().encode(s);
const LFS = 'version https://git-lfs.github.com/spec/v1\noid sha256:4c3ab1b2\nsize 1719093248\n';

describe('checkFileStart', () => {
  it("accepts the fixture's real files", () => {
    for (const path of ['unet/model.onnx', 'text_encoder/model.onnx', 'unet/weights.pb', 'tokenizer/vocab.json', 'tokenizer/merges.txt', 'model_index.json']) {
      expect(() => checkFileStart(path, fixture(path).subarray(0, 64), path)).not.toThrow();
    }
  });

  it.each([
    ['unet/model.onnx', LFS, /git-lfs pointer/],
    ['unet/weights.pb', LFS, /git-lfs pointer/],
    ['unet/model.onnx', '<!DOCTYPE html><html><body>404</body></html>', /HTML page/],
    ['tokenizer/vocab.json', '\n  <html><head>', /HTML page/],
    ['unet/model.onnx', '{"error":"Repository not found"}', /JSON instead of the ONNX model/],
    ['unet/model.onnx', 'PK\u0003\u0004 zip', /not an ONNX model \(it starts with bytes 50 4b 03 04/],
    ['model_index.json', 'hello', /not JSON/],
  ])('rejects %s starting with %j', (path, start, message) => {
    expect(() => checkFileStart(path, bytes(start), `https://h/m/${path}`)).toThrow(ModelFormatError);
    expect(() => checkFileStart(path, bytes(start), `https://h/m/${path}`)).toThrow(message);
  });

  it('rejects an empty .onnx', () => {
    expect(() => checkFileStart('unet/model.onnx', new Uint8Array(0), 'u')).toThrow(/empty/);
  });
});
