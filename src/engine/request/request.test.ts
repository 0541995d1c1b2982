/**
 * The one validator and the model geometry it checks against. The size rule (8 x 2^(UNet
 * down-samplings)) is read from each fixture model: shapes-sd's unet/config.json (3 down blocks:
 * multiple 32), tiny-sd's graph (no unet/config.json; 1 down-sampling: multiple 16).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../core/errors.js';
import { DirectoryModelSource } from '../../node/directory-source.js';
import { folderGeometry, openModelFolder } from '../model/model-folder.js';
import { ANY_SD_V1_GEOMETRY, SD_V1_GEOMETRY, unetDownsamplingsFromConfig, unetDownsamplingsFromGraph } from '../model/model-geometry.js';
import { nearestSizes, resolveRequest, validateRequest } from './request.js';

const geometryOf = async (dir: string) => folderGeometry(await openModelFolder(new DirectoryModelSource(dir)));

describe('model geometry', () => {
  it('reads the size multiple, default size and latent channels from the model folder', async () => {
    expect(await geometryOf('public/models/shapes-sd-fp32')).toEqual({
      sizeMultiple: 32,
      vaeScaleFactor: 8,
      unetDownsamplings: 2,
      latentChannels: 4,
      defaultWidth: 128,
      defaultHeight: 128,
      fixedSize: null,
      tinyDecoder: true,
      schedulerConfig: expect.objectContaining({ stepsOffset: 1, timestepSpacing: 'leading' }),
      attention: { heads: 4, level: 0 },
    });
    // tiny-sd has no unet/config.json: the down-samplings come from the graph's node names.
    expect(await geometryOf('fixtures/tiny-sd-fp32')).toMatchObject({ sizeMultiple: 16, unetDownsamplings: 1, vaeScaleFactor: 8 });
    expect(await geometryOf('fixtures/tiny-sd-fp16')).toMatchObject({ sizeMultiple: 16 });
  });

  it('SD v1.4: 4 down blocks in unet/config.json, so multiples of 64', () => {
    expect(unetDownsamplingsFromConfig({ down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'] })).toBe(3);
    expect(SD_V1_GEOMETRY).toMatchObject({ sizeMultiple: 64, defaultWidth: 512, defaultHeight: 512 });
  });

  it('counts distinct down_blocks.N/downsamplers in a graph, and gives null for foreign graphs', () => {
    expect(unetDownsamplingsFromGraph(new Uint8Array(readFileSync('public/models/shapes-sd-fp16/unet/model.onnx')))).toBe(2);
    const names = new TextEncoder().encode(
      'x/down_blocks.0/downsamplers.0/conv/Conv y/down_blocks.0/downsamplers.0/conv/Conv_1 /down_blocks.12/downsamplers.0/conv/Conv',
    );
    expect(unetDownsamplingsFromGraph(names)).toBe(2);
    expect(unetDownsamplingsFromGraph(new TextEncoder().encode('/downsamplers.0/conv without a block'))).toBeNull();
  });
});

describe('validateRequest', () => {
  const shapes = { ...SD_V1_GEOMETRY, sizeMultiple: 32, unetDownsamplings: 2, defaultWidth: 128, defaultHeight: 128 };

  it('accepts a minimal request, and an empty prompt (unconditional, as in diffusers)', () => {
    expect(validateRequest({ prompt: 'a cat', seed: 0 }, shapes)).toEqual([]);
    expect(validateRequest({ prompt: '', seed: 0 }, shapes)).toEqual([]);
  });

  it('refuses a size the UNet cannot take, naming the nearest valid sizes', () => {
    expect(validateRequest({ prompt: 'x', seed: 0, width: 120, height: 200 }, shapes)).toEqual([
      { field: 'width', message: "Width must be a multiple of 32 for this model (the VAE's factor 8 x 2^2 UNet down-samplings): try 96 or 128 (got 120)." },
      { field: 'height', message: "Height must be a multiple of 32 for this model (the VAE's factor 8 x 2^2 UNet down-samplings): try 192 or 224 (got 200)." },
    ]);
    expect(validateRequest({ prompt: 'x', seed: 0, width: 16 }, shapes)[0]).toMatchObject({
      field: 'width',
      message: 'Width must be a whole number from 32 to 2048 (got 16).',
    });
    expect(nearestSizes(520, 64)).toEqual([512, 576]);
    expect(nearestSizes(2040, 64)).toEqual([1984, 2048]);
    expect(nearestSizes(10, 64)).toEqual([64]);
  });

  it('decoder: tiny needs the tiny decoder; unknown before the folder is read, so not refused then', () => {
    const request = { prompt: 'x', seed: 0, decoder: 'tiny' as const };
    expect(validateRequest(request, { ...SD_V1_GEOMETRY, tinyDecoder: true })).toEqual([]);
    expect(validateRequest(request, ANY_SD_V1_GEOMETRY)).toEqual([]);
    expect(validateRequest(request, { ...SD_V1_GEOMETRY, tinyDecoder: false })).toEqual([
      {
        field: 'decoder',
        message: 'This model has no tiny decoder (taesd_decoder/model.onnx): use the full decoder, or a model folder prepared with prepare_model.py --taesd.',
      },
    ]);
    expect(validateRequest({ ...request, decoder: 'taesd' as never }, SD_V1_GEOMETRY)).toEqual([
      { field: 'decoder', message: 'Decoder must be one of full, tiny (got "taesd").' },
    ]);
    expect(resolveRequest({ ...request, decoder: 'full' }, SD_V1_GEOMETRY)).not.toHaveProperty('decoder');
    expect(resolveRequest(request, { ...SD_V1_GEOMETRY, tinyDecoder: true }).decoder).toBe('tiny');
  });

  it('names every bad field, in the same words for every surface', () => {
    const errors = validateRequest(
      { prompt: 'x', scheduler: 'k_lms' as never, numInferenceSteps: 0, guidanceScale: 51, eta: -0.1, timestepSpacing: 'karras' as never, seed: 1.5 },
      ANY_SD_V1_GEOMETRY,
    );
    expect(errors).toEqual([
      {
        field: 'scheduler',
        message: 'Scheduler must be one of pndm, ddim, lms, euler, euler_a, heun, dpmpp_2m, dpmpp_2m_karras, unipc, lcm, tcd (got "k_lms").',
      },
      { field: 'numInferenceSteps', message: 'Steps must be a whole number from 1 to 1000 (got 0).' },
      { field: 'guidanceScale', message: 'Guidance scale must be a number from 0 to 50 (got 51).' },
      { field: 'eta', message: 'Eta must be a number from 0 to 1 (got -0.1).' },
      { field: 'timestepSpacing', message: 'Timestep spacing must be one of leading, linspace, trailing (got "karras").' },
      { field: 'seed', message: 'Seed must be a whole number from 0 to 9007199254740991 (got 1.5).' },
    ]);
  });

  it('accepts guidance 0, eta 0 to 1 and each spacing, and the resolved request carries eta and spacing only when given', () => {
    const base = { prompt: 'x', seed: 1 };
    for (const extra of [
      { guidanceScale: 0 },
      { eta: 0 },
      { eta: 1 },
      { timestepSpacing: 'leading' },
      { timestepSpacing: 'linspace' },
      { timestepSpacing: 'trailing' },
    ] as const) {
      expect(validateRequest({ ...base, ...extra }, ANY_SD_V1_GEOMETRY)).toEqual([]);
    }
    const plain = resolveRequest(base, ANY_SD_V1_GEOMETRY);
    expect('eta' in plain || 'timestepSpacing' in plain).toBe(false);
    expect(resolveRequest({ ...base, scheduler: 'tcd', eta: 0.3, timestepSpacing: 'trailing' }, ANY_SD_V1_GEOMETRY)).toMatchObject({
      scheduler: 'tcd',
      eta: 0.3,
      timestepSpacing: 'trailing',
    });
  });

  it("checks given latents against the model's channels and VAE factor", () => {
    const latents = new Float32Array(4 * 16 * 16);
    expect(validateRequest({ prompt: 'x', latents }, shapes)).toEqual([]);
    expect(validateRequest({ prompt: 'x', latents: new Float32Array(3 * 16 * 16) }, shapes)).toEqual([
      { field: 'latents', message: 'Initial latents must have 1x4x16x16 = 1024 values for 128x128 (got 768).' },
    ]);
    expect(validateRequest({ prompt: 'x', latents, seed: 1 }, shapes)[0].field).toBe('latents');
    expect(validateRequest({ prompt: 'x' }, shapes)).toEqual([{ field: 'seed', message: 'Give a seed or initial latents.' }]);
  });

  it('a UNet exported with static dims takes only its size', () => {
    const fixed = { ...shapes, fixedSize: { width: 128, height: 128 } };
    expect(validateRequest({ prompt: 'x', seed: 0, width: 96 }, fixed)).toEqual([
      { field: 'width', message: "This model's UNet was exported for 128x128 only (got width 96)." },
    ]);
  });

  it("resolveRequest fills the defaults and the model's size, or throws with the field", () => {
    expect(resolveRequest({ prompt: 'x', seed: 3 }, shapes)).toEqual({
      prompt: 'x',
      negativePrompt: '',
      promptSyntax: 'plain',
      scheduler: 'pndm',
      numInferenceSteps: 20,
      guidanceScale: 7.5,
      seed: 3,
      width: 128,
      height: 128,
    });
    expect(() => resolveRequest({ prompt: 'x', seed: 3, height: 100 }, shapes)).toThrow(InvalidRequestError);
    try {
      resolveRequest({ prompt: 'x', seed: 3, height: 100 }, shapes);
    } catch (error) {
      expect(error).toMatchObject({ name: 'InvalidRequestError', field: 'height' });
    }
  });
});
