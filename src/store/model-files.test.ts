import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelFileMissingError, ModelFormatError } from '../core/errors.js';
import { modelFiles } from './model-files.js';

const INDEX = readFileSync(new URL('../../fixtures/tiny-sd-fp32/model_index.json', import.meta.url), 'utf8');

describe('modelFiles', () => {
  it('lists the diffusers ONNX layout from model_index.json, marking optional files', () => {
    const files = modelFiles(INDEX, 'model_index.json');
    expect(files.filter((f) => f.required).map((f) => f.path)).toEqual([
      'text_encoder/model.onnx',
      'unet/model.onnx',
      'vae_decoder/model.onnx',
      'scheduler/scheduler_config.json',
    ]);
    // The tokenizer in either form (checkTokenizerFiles): each of its files is optional by itself.
    expect(files.filter((f) => !f.required).map((f) => f.path)).toEqual([
      'text_encoder/weight_map.json', // a fused graph's weight map (LoRAs), where prepare_model.py wrote one
      'unet/weights.pb',
      'unet/weight_map.json',
      'vae_encoder/model.onnx',
      'tokenizer/vocab.json',
      'tokenizer/merges.txt',
      'tokenizer/tokenizer_config.json',
      'tokenizer/special_tokens_map.json',
      'tokenizer/tokenizer.json',
    ]);
  });

  it("the tiny autoencoder's parts, listed in model_index.json or the manifest, come first (small: previews from the first step)", () => {
    expect(
      modelFiles(INDEX, 'm')
        .map((f) => f.path)
        .filter((p) => p.startsWith('taesd_')),
    ).toEqual([]);
    const index = { ...JSON.parse(INDEX), taesd_decoder: ['diffusers', 'OnnxRuntimeModel'], taesd_encoder: ['diffusers', 'OnnxRuntimeModel'] };
    expect(modelFiles(JSON.stringify(index), 'm').slice(0, 2)).toEqual([
      { path: 'taesd_decoder/model.onnx', required: false },
      { path: 'taesd_encoder/model.onnx', required: false },
    ]);
    const sha = 'c'.repeat(64);
    const paths = [
      'taesd_decoder/model.onnx',
      'text_encoder/model.onnx',
      'unet/model.onnx',
      'vae_decoder/model.onnx',
      'tokenizer/vocab.json',
      'tokenizer/merges.txt',
      'scheduler/scheduler_config.json',
    ];
    const files = modelFiles(INDEX, 'm', { version: 1, files: paths.map((path, i) => ({ path, size: i, sha256: sha })) });
    expect(files[0]).toEqual({ path: 'taesd_decoder/model.onnx', required: false, size: 0, sha256: sha });
  });

  it('skips a component listed as [null, null]', () => {
    const index = { ...JSON.parse(INDEX), vae_encoder: [null, null] };
    expect(modelFiles(JSON.stringify(index), 'm').map((f) => f.path)).not.toContain('vae_encoder/model.onnx');
  });

  it('with a manifest: takes optional files iff listed, with sizes and digests', () => {
    const sha = 'b'.repeat(64);
    const paths = [
      'text_encoder/model.onnx',
      'unet/model.onnx',
      'vae_decoder/model.onnx',
      'tokenizer/vocab.json',
      'tokenizer/merges.txt',
      'scheduler/scheduler_config.json',
      'unet/weights.pb',
      'unet/weight_map.json',
      'README.md',
    ];
    const manifest = { version: 1 as const, files: paths.map((path, i) => ({ path, size: i, sha256: sha })) };
    const files = modelFiles(INDEX, 'm', manifest);
    expect(files.map((f) => f.path).sort()).toEqual(paths.filter((p) => p !== 'README.md').sort());
    expect(files.find((f) => f.path === 'unet/weights.pb')).toEqual({ path: 'unet/weights.pb', required: false, size: 6, sha256: sha });
  });

  it('with a manifest: accepts a tokenizer of tokenizer.json alone, or of vocab.json + merges.txt, and refuses one without either', () => {
    const sha = 'c'.repeat(64);
    const manifestOf = (...tokenizer: string[]) => ({
      version: 1 as const,
      files: ['text_encoder/model.onnx', 'unet/model.onnx', 'vae_decoder/model.onnx', 'scheduler/scheduler_config.json', ...tokenizer].map((path) => ({
        path,
        size: 1,
        sha256: sha,
      })),
    });
    const tokenizerFiles = (manifest: ReturnType<typeof manifestOf>) =>
      modelFiles(INDEX, 'm', manifest)
        .map((f) => f.path)
        .filter((p) => p.startsWith('tokenizer/'));
    expect(tokenizerFiles(manifestOf('tokenizer/tokenizer.json', 'tokenizer/tokenizer_config.json'))).toEqual([
      'tokenizer/tokenizer_config.json',
      'tokenizer/tokenizer.json',
    ]);
    expect(tokenizerFiles(manifestOf('tokenizer/vocab.json', 'tokenizer/merges.txt'))).toEqual(['tokenizer/vocab.json', 'tokenizer/merges.txt']);
    expect(() => modelFiles(INDEX, 'm', manifestOf('tokenizer/vocab.json', 'tokenizer/tokenizer_config.json'))).toThrow(ModelFileMissingError);
    expect(() => modelFiles(INDEX, 'm', manifestOf('tokenizer/merges.txt'))).toThrow(
      /no usable tokenizer: it needs tokenizer\/tokenizer\.json .* or tokenizer\/vocab\.json \+ tokenizer\/merges\.txt/,
    );
  });

  it('fails when the manifest lacks a required file', () => {
    expect(() => modelFiles(INDEX, 'm', { version: 1, files: [] })).toThrow(ModelFileMissingError);
  });

  it('rejects what is not a Stable Diffusion pipeline, naming what is missing', () => {
    expect(() => modelFiles('<html>', 'https://h/m/model_index.json')).toThrow(ModelFormatError);
    expect(() => modelFiles(JSON.stringify({ _class_name: 'X', unet: ['diffusers', 'OnnxRuntimeModel'] }), 'm')).toThrow(
      /text_encoder, vae_decoder, tokenizer, scheduler/,
    );
  });
});
