/**
 * Few-step sampling (issue 20) through the engine (onnxruntime-web wasm) against diffusers' own pipelines,
 * from a seed: the initial latents and every step's noise (LCM, TCD, DDIM with eta, Euler a) come from the
 * one torch generator, the scheduler is swapped as `Class.from_config(folder config, timestep_spacing=...)`.
 *
 * References: fixtures/fewstep-refs, tools/make_fewstep_refs.py (diffusers 0.40, torch CPU fp32; the command
 * is in its manifest.json):
 * - tiny-sd-fp32, StableDiffusionPipeline: LCM 1/2/4/8 steps, TCD eta 0 / 0.3, DDIM eta 0.5 / 1, Euler a,
 *   DPM++ 2M, PNDM, Euler; guidance 0, 1 (one UNet call a step; a negative prompt given and ignored) and > 1;
 *   each spacing override;
 * - shapes-sd-fp32: LCM, TCD, DDIM trailing; StableDiffusionImg2ImgPipeline with LCM at strength 0.5;
 * - an LCM-distilled tiny UNet (timestep_cond input, time_cond_proj_dim 32) with shapes-sd's other parts,
 *   LatentConsistencyModelPipeline at guidance 8, 1.5 and 1 (the guidance embedding, no CFG).
 * Bounds: as the other parity tests, final latents rel L2 <= 1e-4, image max abs <= 2e-3.
 */
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guidanceScaleEmbedding } from '../core/guidance-embedding.js';
import { decodeImage } from '../node/decode-image.js';
import { DirectoryModelSource } from '../node/directory-source.js';
import { wasmRuntime } from '../node/ort-node.js';
import { caseRequest, type DiffusersCase } from '../testing/diffusers-case.js';
import { readF32, readJson, resultParity } from '../testing/reference-data.js';
import { StableDiffusionPipeline } from './pipeline.js';
import type { TimestepSpacing } from './request/request.js';

interface ArrayRef {
  file: string;
  shape: number[];
}
interface Case extends DiffusersCase {
  id: string;
  seed: number;
  eta?: number;
  timestep_spacing?: TimestepSpacing;
  mode?: 'img2img';
  init?: string;
  strength?: number;
  final_latents: ArrayRef;
  image: ArrayRef;
}
interface Manifest {
  size: number;
  tiny: Case[];
  shapes: Case[];
  lcm_unet: Case[];
  guidance_embeddings: { w: number; dim: number; values: number[] }[];
}

const dir = 'fixtures/fewstep-refs/';
const manifest = readJson<Manifest>(`${dir}manifest.json`);
const BOUNDS = { latents: 1e-4, image: 2e-3 };

async function check(pipeline: () => StableDiffusionPipeline, c: Case): Promise<void> {
  const picture =
    c.mode === 'img2img'
      ? { initImage: await decodeImage(readFileSync(dir + c.init!), c.init!), strength: c.strength }
      : { width: manifest.size, height: manifest.size };
  const result = await pipeline().generate({
    ...caseRequest(c),
    seed: c.seed,
    ...(c.eta !== undefined ? { eta: c.eta } : {}),
    ...(c.timestep_spacing ? { timestepSpacing: c.timestep_spacing } : {}),
    ...picture,
  });
  const error = resultParity(`fewstep/${c.id}`, result, readF32(dir + c.final_latents.file), readF32(dir + c.image.file));
  expect(error.latents).toBeLessThanOrEqual(BOUNDS.latents);
  expect(error.image).toBeLessThanOrEqual(BOUNDS.image);
}

const title = (c: Case) =>
  `${c.id}: ${c.scheduler} ${c.steps} steps, guidance ${c.guidance}${c.eta ? `, eta ${c.eta}` : ''}${c.timestep_spacing ? `, ${c.timestep_spacing}` : ''}${c.strength ? `, img2img strength ${c.strength}` : ''}`;

describe('get_guidance_scale_embedding vs diffusers', () => {
  // Each value within 1e-6, or within what two float32 ulps of its argument x = 1000 w exp(-k log(1e4) / (d/2 - 1))
  // move a sine (torch's vectorised float32 exp may round x one ulp apart: at x ~ 3000 that is 2.4e-4; measured max 2.4e-4).
  for (const { w, dim, values } of manifest.guidance_embeddings) {
    it(`w ${w}, dim ${dim}`, () => {
      const ours = guidanceScaleEmbedding(w, dim);
      expect(ours.length).toBe(values.length);
      const half = Math.floor(dim / 2);
      const argument = (i: number) => (i >= 2 * half ? 0 : 1000 * w * Math.exp((-(i % half) * Math.log(10000)) / (half - 1)));
      values.forEach((v, i) => expect(Math.abs(ours[i] - v)).toBeLessThanOrEqual(Math.max(1e-6, 2 * argument(i) * 2 ** -23)));
    });
  }
});

describe('tiny-sd-fp32 few-step runs vs diffusers StableDiffusionPipeline', () => {
  let pipeline: StableDiffusionPipeline;
  beforeAll(async () => {
    pipeline = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource('fixtures/tiny-sd-fp32'), { executionProviders: ['wasm'] });
  });
  afterAll(() => pipeline?.dispose());

  it('covers guidance 0, 1 and > 1, every spacing, LCM at 1 / 2 / 4 / 8 steps, TCD and DDIM with eta', () => {
    expect(new Set(manifest.tiny.map((c) => Math.sign(c.guidance - 1)))).toEqual(new Set([-1, 0, 1]));
    expect(new Set(manifest.tiny.map((c) => c.timestep_spacing).filter(Boolean))).toEqual(new Set(['leading', 'linspace', 'trailing']));
    expect(new Set(manifest.tiny.filter((c) => c.scheduler === 'lcm').map((c) => c.steps))).toEqual(new Set([1, 2, 4, 8]));
    expect(manifest.tiny.some((c) => c.scheduler === 'tcd' && (c.eta ?? 0) > 0) && manifest.tiny.some((c) => c.scheduler === 'ddim' && (c.eta ?? 0) > 0)).toBe(
      true,
    );
  });

  for (const c of manifest.tiny) it(title(c), { timeout: 60_000 }, () => check(() => pipeline, c));
});

describe('shapes-sd-fp32 few-step runs vs diffusers (text-to-image and img2img with LCM)', () => {
  let pipeline: StableDiffusionPipeline;
  beforeAll(async () => {
    pipeline = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource('public/models/shapes-sd-fp32'), { executionProviders: ['wasm'] });
  });
  afterAll(() => pipeline?.dispose());

  for (const c of manifest.shapes) it(title(c), { timeout: 60_000 }, () => check(() => pipeline, c));
});

describe('an LCM-distilled UNet (timestep_cond) vs diffusers LatentConsistencyModelPipeline', () => {
  let pipeline: StableDiffusionPipeline;
  beforeAll(async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sd-lcm-unet-'));
    for (const part of ['model_index.json', 'scheduler', 'tokenizer', 'text_encoder', 'vae_encoder', 'vae_decoder'])
      symlinkSync(resolve('public/models/shapes-sd-fp32', part), join(folder, part));
    symlinkSync(resolve(dir, 'lcm-unet/unet'), join(folder, 'unet'));
    pipeline = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource(folder), { executionProviders: ['wasm'] });
  });
  afterAll(() => pipeline?.dispose());

  it('reads the guidance-embedding width from the UNet graph', () => {
    expect(pipeline.timeCondProjDim).toBe(32);
  });

  for (const c of manifest.lcm_unet) it(title(c), { timeout: 60_000 }, () => check(() => pipeline, c));
});
