/**
 * img2img and inpainting through the engine API (StableDiffusionPipeline on onnxruntime-web wasm, the
 * bundled shapes-sd fp32 model) against diffusers.
 *
 * References (fixtures/img2img/, see fixtures/README.md):
 * - public/: the issue's three cases, diffusers 0.40 StableDiffusionImg2ImgPipeline / InpaintPipeline with
 *   the shapes-sd torch checkpoint (torch 2.13 CPU fp32, 2 threads), ../shared/tools/make_img2img_refs.py,
 *   the init picture given as a PIL image.
 * - public-16-threads/: the same three cases made the same way (PIL picture) by tools/make_img2img_refs.py
 *   --image-as pil --threads 16 (torch VAE rebuilt from the model's ONNX weights, text encoder and UNet on
 *   onnxruntime CPU; at 2 threads that script reproduces public/ within latents 1.2e-5).
 * - extra/: the same three cases and 11 more (every other sampler, strengths 0.3 to 1.0, a mask off the
 *   8-pixel grid with grey edges either side of 0.5, negative prompts, no guidance) by
 *   tools/make_img2img_refs.py: the same diffusers pipelines and torch VAE (rebuilt from the model's ONNX
 *   weights), the text encoder and UNet on onnxruntime CPU, the init picture given as a contiguous float
 *   tensor in [0, 1] (the same values).
 *
 * Bounds: the issue's, final latents rel L2 <= 1e-4 and final image max abs <= 2e-3, for every case but the
 * latents of the two public cases that start from init_A (a flat green picture with a flat square), held to
 * 5e-4 (measured 3.2e-4 and 2.0e-4; images 1.2e-3 and 6.5e-4, within the issue's bound). Why, measured
 * (tools/check_group_norm.py): from a PIL picture diffusers' VaeImageProcessor makes a channels-last
 * tensor, and torch's channels-last GroupNorm sums float32 in per-thread chunks, so diffusers' own encoder
 * output for init_A is 7.2e-5 (1 thread), 5.5e-5 (2), 6.5e-6 (4), 4.2e-6 (16) from its float64 value, and
 * diffusers' final latents for i2i_pndm move from the public reference by 5.4e-4 (1 thread), 3.0e-4 (4),
 * 3.3e-4 (16) with nothing else changed; given a contiguous tensor torch is within 4.8e-7 of float64 at any
 * thread count. Against diffusers at 16 threads (public-16-threads/) the engine meets the issue's bounds. The engine's encoder is within 1.1e-6 of float64 (precise-group-norm.ts; onnxruntime's own
 * InstanceNormalization is 6.8e-5 off) and matches the extra references within latents 2.2e-5, image 5.6e-5.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { formatParameters, parseParameters } from '../core/parameters.js';
import { DirectoryModelSource } from '../node/directory-source.js';
import { decodeImage } from '../node/decode-image.js';
import { wasmRuntime } from '../node/ort-node.js';
import { boundsFor, type Img2ImgCase } from '../testing/img2img-cases.js';
import { readF32, readJson, resultParity } from '../testing/reference-data.js';
import { StableDiffusionPipeline } from './pipeline.js';
import { infotextParameters } from './request/png-file.js';
import { caseRequest } from '../testing/diffusers-case.js';

const sets = ['public', 'public-16-threads', 'extra'].map((set) => ({
  set,
  dir: `fixtures/img2img/${set}/`,
  cases: readJson<{ cases: Img2ImgCase[] }>(`fixtures/img2img/${set}/manifest.json`).cases,
}));
let pipeline: StableDiffusionPipeline;

beforeAll(async () => {
  pipeline = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource('public/models/shapes-sd-fp32'), { executionProviders: ['wasm'] });
});
afterAll(() => pipeline?.dispose());

for (const { set, dir, cases } of sets) {
  describe(`engine API vs diffusers, fixtures/img2img/${set}`, () => {
    for (const c of cases) {
      const bounds = boundsFor(set, c);
      it(`${c.id}: ${c.mode} ${c.scheduler} ${c.steps} steps, strength ${c.strength} (latents rel L2 <= ${bounds.latents}, image max abs <= ${bounds.image})`, {
        timeout: 120_000,
      }, async () => {
        const initImage = await decodeImage(readFileSync(dir + c.init_image), c.init_image);
        const mask = c.mask_image ? await decodeImage(readFileSync(dir + c.mask_image), c.mask_image) : undefined;
        const steps: number[] = [];
        const result = await pipeline.generate(
          { ...caseRequest(c), seed: c.seed, initImage, mask, strength: c.strength },
          { onStep: ({ step }) => void steps.push(step) },
        );
        const error = resultParity(`${set}/${c.id}`, result, readF32(dir + c.latents), readF32(dir + c.image));
        expect(error.latents).toBeLessThanOrEqual(bounds.latents);
        expect(error.image).toBeLessThanOrEqual(bounds.image);
        // numbered steps: the sampler steps that run, as diffusers' progress bar counts them (total =
        // num_inference_steps - t_start), whatever the UNet calls (PLMS n + 1 timesteps, Heun 2n - 1)
        const tStart = c.steps - Math.min(Math.floor(c.steps * c.strength), c.steps);
        const calls = c.scheduler === 'pndm' ? c.steps + 1 - tStart : c.scheduler === 'heun' ? 2 * c.steps - 1 - 2 * tStart : c.steps - tStart;
        expect(steps).toEqual(Array.from({ length: c.steps - tStart }, (_, i) => i + 1));
        expect(result.timings.stepMs).toHaveLength(calls);
        expect(result.request.strength).toBe(c.strength);
        expect(parseParameters(formatParameters(infotextParameters(result.request, result.model))).denoisingStrength).toBe(c.strength);
      });
    }
  });
}

describe('bad image input: a clear error before any work', () => {
  const initImage = { width: 128, height: 128, data: new Uint8ClampedArray(128 * 128 * 4) };
  const base = { prompt: 'a red circle', seed: 0, numInferenceSteps: 4 };
  it.each([
    [
      'a mask of another size',
      { initImage, mask: { width: 64, height: 128, data: new Uint8ClampedArray(64 * 128 * 4) } },
      /mask is 64x128 but the init image is 128x128/,
    ],
    ['strength 0', { initImage, strength: 0 }, /Strength must be a number in \(0, 1\]/],
    ['strength above 1', { initImage, strength: 1.5 }, /Strength must be a number in \(0, 1\]/],
    ['strength NaN', { initImage, strength: Number.NaN }, /Strength must be a number in \(0, 1\]/],
    ['strength that runs no step', { initImage, strength: 0.2 }, /runs no step/],
    [
      'a size the UNet cannot take',
      { initImage: { width: 100, height: 128, data: new Uint8ClampedArray(100 * 128 * 4) } },
      /multiples of 32 up to 2048: resize or crop/,
    ],
    ['a width other than the image', { initImage, width: 64 }, /The output has the init image's size, 128x128 \(got width 64\)/],
    ['pixels of the wrong length', { initImage: { width: 128, height: 128, data: new Uint8ClampedArray(10) } }, /RGBA pixels/],
    ['a mask without an image', { mask: initImage }, /A mask needs an init image/],
  ])('%s', async (_, fields, message) => {
    await expect(pipeline.generate({ ...base, ...fields })).rejects.toThrow(message);
  });
});
