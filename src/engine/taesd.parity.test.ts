/**
 * The tiny autoencoder (TAESD) through the engine API against diffusers' StableDiffusionPipeline /
 * StableDiffusionImg2ImgPipeline run with `vae=AutoencoderTiny(...)` (fixtures/taesd/, tools/make_taesd_refs.py:
 * a random default-architecture AutoencoderTiny, diffusers torch fp32 CPU; the tiny-sd fixture in torch,
 * shapes-sd's text encoder and UNet as its ONNX on onnxruntime CPU). The engine runs on onnxruntime-web wasm in
 * Node with `decoder: 'tiny'`: the final picture is taesd_decoder's, img2img encodes with taesd_encoder (latents
 * as they are, scaling factor 1.0).
 *
 * Bounds: the issue's, image max abs <= 2e-3, final latents rel L2 <= 1e-4. The full VAE's picture differs from
 * the tiny one's by ~0.5 here, and decoding latents / 0.18215 (the full VAE's scaling) instead of latents / 1.0
 * saturates the tanh clamp: either mistake fails by far.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryModelSource } from '../node/directory-source.js';
import { decodeImage } from '../node/decode-image.js';
import { wasmRuntime } from '../node/ort-node.js';
import { caseRequest, type DiffusersCase } from '../testing/diffusers-case.js';
import { maxAbsDiff, readF32, readJson, resultParity } from '../testing/reference-data.js';
import { folderWithTaesd, type TaesdFolder } from '../testing/taesd-folder.js';
import { StableDiffusionPipeline } from './pipeline.js';
import { formatParameters } from '../core/parameters.js';
import { infotextParameters } from './request/png-file.js';
import { LocalEngine } from './local-engine.js';
import type { Preview } from './events.js';
import type { ModelStore } from './ports.js';
import { wasmOnlyCapabilities } from './runtime/capabilities.js';

interface Case extends DiffusersCase {
  id: string;
  model: 'tiny-sd-fp32' | 'shapes-sd-fp32';
  seed: number;
  init_image?: string;
  strength?: number;
  latents: { file: string };
  image: { file: string };
}

const DIR = 'fixtures/taesd/';
const manifest = readJson<{ cases: Case[] }>(`${DIR}manifest.json`);
const MODEL_DIRS = { 'tiny-sd-fp32': 'fixtures/tiny-sd-fp32', 'shapes-sd-fp32': 'public/models/shapes-sd-fp32' } as const;

for (const model of ['tiny-sd-fp32', 'shapes-sd-fp32'] as const) {
  describe(`${model} with the tiny autoencoder against diffusers (vae=AutoencoderTiny)`, () => {
    let folder: TaesdFolder;
    let pipeline: StableDiffusionPipeline;
    beforeAll(async () => {
      folder = folderWithTaesd(MODEL_DIRS[model]);
      pipeline = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource(folder.dir), { executionProviders: ['wasm'] });
    });
    afterAll(async () => {
      await pipeline?.dispose();
      folder?.remove();
    });

    for (const c of manifest.cases.filter((c) => c.model === model)) {
      it(`${c.id}: ${c.init_image ? `img2img strength ${c.strength}, ` : ''}${c.scheduler} ${c.steps} steps (image max abs <= 2e-3, latents rel L2 <= 1e-4)`, {
        timeout: 120_000,
      }, async () => {
        const initImage = c.init_image ? await decodeImage(readFileSync(DIR + c.init_image), c.init_image) : undefined;
        const request = {
          ...caseRequest(c),
          negativePrompt: c.negative_prompt || undefined,
          seed: c.seed,
          decoder: 'tiny' as const,
          ...(initImage ? { initImage, strength: c.strength } : { width: 128, height: 128 }),
        };
        const result = await pipeline.generate(request);
        const error = resultParity(`taesd ${c.id}`, result, readF32(DIR + c.latents.file), readF32(DIR + c.image.file));
        expect(error.latents).toBeLessThanOrEqual(1e-4);
        expect(error.image).toBeLessThanOrEqual(2e-3);
        expect(result.request.decoder).toBe('tiny');
        expect(formatParameters(infotextParameters(result.request, result.model))).toContain('VAE Decoder: TAESD'); // A1111's key
        // img2img encoded with taesd_encoder: the result says so, and the PNG writes A1111's `VAE Encoder: TAESD`
        expect(result.request.encoder).toBe(initImage ? 'tiny' : undefined);
        expect(formatParameters(infotextParameters(result.request, result.model)).includes('VAE Encoder: TAESD')).toBe(initImage !== undefined);
        if (!initImage) {
          // the same latents through the full VAE: a different picture (the test can tell the decoders apart)
          const full = await pipeline.decode(result.latents, result.width, result.height);
          expect(maxAbsDiff(full.image, result.image)).toBeGreaterThan(0.05);
        }
      });
    }
  });
}

describe('what encoded the init image, as the result (and the PNG) records it', () => {
  const folders: TaesdFolder[] = [];
  afterAll(() => {
    for (const folder of folders) folder.remove();
  });
  const initImage = { width: 64, height: 64, data: new Uint8ClampedArray(64 * 64 * 4).fill(160) };
  const request = { prompt: 'a red circle', seed: 1, numInferenceSteps: 2, scheduler: 'euler' as const, initImage, strength: 0.5 };
  const encoderOf = async (parts: readonly string[], decoder: 'full' | 'tiny') => {
    const folder = folderWithTaesd('fixtures/tiny-sd-fp32', undefined, parts);
    folders.push(folder);
    const pipeline = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource(folder.dir), { executionProviders: ['wasm'] });
    try {
      const result = await pipeline.generate({ ...request, decoder });
      return [result.request.encoder ?? 'full', formatParameters(infotextParameters(result.request, result.model)).match(/VAE (En|De)coder: \w+/g)];
    } finally {
      await pipeline.dispose();
    }
  };

  it('taesd_encoder/ with decoder tiny: the tiny one; without taesd_encoder/, or with the full decoder: the full VAE (no key)', {
    timeout: 60_000,
  }, async () => {
    expect(await encoderOf(['taesd_decoder', 'taesd_encoder'], 'tiny')).toEqual(['tiny', ['VAE Encoder: TAESD', 'VAE Decoder: TAESD']]);
    expect(await encoderOf(['taesd_decoder'], 'tiny')).toEqual(['full', ['VAE Decoder: TAESD']]);
    expect(await encoderOf(['taesd_decoder', 'taesd_encoder'], 'full')).toEqual(['full', null]);
  });
});

describe('decoder: tiny on a folder without taesd_decoder/', () => {
  let pipeline: StableDiffusionPipeline;
  beforeAll(async () => {
    pipeline = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource('fixtures/tiny-sd-fp32'), { executionProviders: ['wasm'] });
  });
  afterAll(() => pipeline?.dispose());

  it('is refused by the request validator before any work, naming the missing part', async () => {
    expect(pipeline.geometry.tinyDecoder).toBe(false);
    await expect(pipeline.generate({ prompt: 'a red circle', seed: 0, numInferenceSteps: 2, decoder: 'tiny' })).rejects.toThrow(
      /no tiny decoder \(taesd_decoder\/model\.onnx\)/,
    );
  });

  it('refuses a decoder name it does not know', async () => {
    await expect(pipeline.generate({ prompt: 'a red circle', seed: 0, decoder: 'approx' as 'tiny' })).rejects.toThrow(
      /Decoder must be one of full, tiny \(got "approx"\)/,
    );
  });
});

describe('step previews through the engine', () => {
  let folder: TaesdFolder;
  let engine: LocalEngine;
  beforeAll(async () => {
    folder = folderWithTaesd('fixtures/tiny-sd-fp32');
    const store: ModelStore = { ensure: async (url) => new DirectoryModelSource(url), list: async () => [], delete: async () => {} };
    const noGpu = async () => wasmOnlyCapabilities('no WebGPU in Node');
    engine = new LocalEngine({ ort: wasmRuntime(), store, detect: noGpu });
  });
  afterAll(async () => {
    await engine?.dispose();
    folder?.remove();
  });

  const request = { prompt: 'a red circle', seed: 4, numInferenceSteps: 3, scheduler: 'euler' as const, width: 128, height: 128 };
  const previewsOf = async (dir: string, options: { preview?: 'tiny' | 'latent' | 'none'; previewEvery?: number }) => {
    await engine.load({ id: dir, urls: { fp32: dir } });
    const previews: Preview[] = [];
    // previewBudget Infinity: every step (the default 10% budget skips steps when a preview costs more than that)
    const result = await engine.generate(request, { previewBudget: Infinity, ...options, onPreview: (p) => void previews.push(p) });
    return { previews, result };
  };

  it('with taesd_decoder/: each step is a full-size picture from the tiny decoder (the last one is the tiny-decoded result)', { timeout: 60_000 }, async () => {
    const { previews } = await previewsOf(folder.dir, {});
    expect(previews.map((p) => [p.step, p.kind, p.width, p.height])).toEqual([
      [1, 'tiny', 128, 128],
      [2, 'tiny', 128, 128],
      [3, 'tiny', 128, 128],
    ]);
    const tiny = await engine.generate({ ...request, decoder: 'tiny' });
    expect(maxAbsDiff(previews[2].rgba, tiny.rgba)).toBe(0);
  });

  it('preview latent / none, an interval, and a folder without the part: the cheap preview', { timeout: 60_000 }, async () => {
    expect((await previewsOf(folder.dir, { preview: 'latent' })).previews.map((p) => [p.kind, p.width])).toEqual([
      ['latent', 16],
      ['latent', 16],
      ['latent', 16],
    ]);
    expect((await previewsOf(folder.dir, { preview: 'none' })).previews).toEqual([]);
    expect((await previewsOf(folder.dir, { previewEvery: 2 })).previews.map((p) => [p.step, p.kind])).toEqual([[2, 'tiny']]);
    expect((await previewsOf('fixtures/tiny-sd-fp32', {})).previews.map((p) => p.kind)).toEqual(['latent', 'latent', 'latent']);
  });
});
