/**
 * The page <-> worker protocol end to end in Node: a LocalEngine (wasm backend, the bundled fp32
 * shapes-sd from disk) served on one end of a MessageChannel, a WorkerEngine on the other.
 * Checks ordering of events, transfer of pixel buffers, cancellation and error classes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidRequestError, ModelFileMissingError } from '../core/errors.js';
import { readPngTextChunks } from '../core/png.js';
import type { EngineProgress, Preview } from '../engine/events.js';
import type { ModelSpec } from '../engine/model/model-spec.js';
import { wasmEngineOverChannel } from '../testing/worker-channel.js';
import type { WorkerEngine } from './worker-engine.js';

const spec: ModelSpec = { id: 'shapes-sd', urls: { fp16: 'public/models/shapes-sd-fp16', fp32: 'public/models/shapes-sd-fp32' } };

describe('WorkerEngine <-> serveEngine(LocalEngine)', () => {
  let engine: WorkerEngine;
  let close: () => void;

  beforeAll(() => {
    ({ engine, close } = wasmEngineOverChannel());
  });
  afterAll(() => close());

  it('refuses to generate before a model is loaded, as the same error class', async () => {
    await expect(engine.generate({ prompt: 'x', seed: 1 })).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('loads fp32 on wasm and reports the default size', async () => {
    const loaded = await engine.load(spec);
    expect(loaded).toMatchObject({
      id: 'shapes-sd',
      precision: 'fp32',
      backend: 'wasm',
      geometry: { defaultWidth: 128, defaultHeight: 128, sizeMultiple: 32, latentChannels: 4, vaeScaleFactor: 8 },
    });
    expect((await engine.tokenize('a red circle')).tokenCount).toBe(3);
  });

  it('streams denoise progress and previews, then decode, then the PNG', async () => {
    const events: string[] = [];
    const previews: Preview[] = [];
    const result = await engine.generate(
      { prompt: 'a blue cross on a yellow background', seed: 3, numInferenceSteps: 3 },
      {
        preview: 'latent', // the cheap one at every step (shapes-sd's default is its tiny decoder's, within a time budget)
        onProgress: (p: EngineProgress) => events.push(p.stage === 'denoise' ? `denoise ${p.step}/${p.totalSteps}` : p.stage),
        onPreview: (p) => {
          previews.push(p);
          events.push(`preview ${p.step}`);
        },
      },
    );
    // PNDM: 3 steps are 4 UNet calls (its first step is repeated); progress and previews count the 3 steps, as diffusers' progress bar does.
    expect(events).toEqual(['encode', 'denoise 1/3', 'preview 1', 'denoise 2/3', 'preview 2', 'denoise 3/3', 'preview 3', 'decode']);
    expect(previews.map((p) => `${p.step}/${p.totalSteps}`)).toEqual(['1/3', '2/3', '3/3']);
    expect(previews[0]).toMatchObject({ kind: 'latent', width: 16, height: 16 });
    expect(previews[0].rgba.length).toBe(16 * 16 * 4);
    expect(result.rgba.length).toBe(128 * 128 * 4);
    expect(readPngTextChunks(result.png).parameters).toContain('Seed: 3');
    expect(result.request).toMatchObject({ seed: 3, numInferenceSteps: 3, scheduler: 'pndm', width: 128, height: 128 });
    expect(result.model).toBe('shapes-sd-fp32');
  });

  it('cancels a running generation and stays ready for the next one', async () => {
    const controller = new AbortController();
    const cancelled = engine.generate(
      { prompt: 'a red square', seed: 1, numInferenceSteps: 20 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.stage === 'denoise' && p.step === 2) controller.abort();
        },
      },
    );
    await expect(cancelled).rejects.toMatchObject({ name: 'CancelledError' });
    const next = await engine.generate({ prompt: 'a red square', seed: 1, numInferenceSteps: 2 });
    expect(next.request.seed).toBe(1);
  });

  it('runs concurrent requests one after another with identical results for identical requests', async () => {
    const request = { prompt: 'a green star', seed: 5, numInferenceSteps: 2 };
    const [a, b] = await Promise.all([engine.generate(request), engine.generate(request)]);
    expect(Buffer.from(a.rgba).equals(Buffer.from(b.rgba))).toBe(true);
  });

  it('carries needsVaeEncoder to the worker: a folder without vae_encoder/ is refused at load, as ModelFileMissingError, and the loaded model stays', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sd-protocol-')), 'shapes-sd-no-encoder');
    mkdirSync(dir);
    for (const part of ['model_index.json', 'scheduler', 'tokenizer', 'text_encoder', 'unet', 'vae_decoder'])
      symlinkSync(resolve('public/models/shapes-sd-fp32', part), join(dir, part));
    const noEncoder: ModelSpec = { id: 'no-encoder', urls: { fp32: dir } };
    const refused = engine.load(noEncoder, { needsVaeEncoder: true });
    await expect(refused).rejects.toBeInstanceOf(ModelFileMissingError);
    await expect(refused).rejects.toThrow('"shapes-sd-no-encoder" has no vae_encoder/model.onnx, which img2img and inpainting need');
    await expect(engine.load(spec, { needsVaeEncoder: true })).resolves.toMatchObject({ id: 'shapes-sd', hasVaeEncoder: true });
  });
});
