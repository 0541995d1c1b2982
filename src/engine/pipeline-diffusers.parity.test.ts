/**
 * The engine against diffusers' own StableDiffusionPipeline called end to end from a seed, for what
 * fixtures/refs (fixed latents, empty negative prompt) does not cover: a negative prompt, Euler a
 * (its step noise comes from the same torch generator, after the initial latents), and a prompt
 * over 75 tokens (diffusers truncates it to 77 ids). Reference data: fixtures/pipeline-refs, made
 * by tools/make_pipeline_refs.py (diffusers, torch fp32 CPU, the tiny-sd fixture's weights; the
 * command is in its manifest.json). The engine runs on onnxruntime-web's wasm backend in Node.
 *
 * Tolerances as pipeline.test.ts: final latents relative L2 <= 1e-4, image max abs <= 2e-3. A
 * wrong generator order (noise drawn before the latents, or from a second generator), a dropped
 * negative prompt or another truncation rule each moves the picture far beyond them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryModelSource } from '../node/directory-source.js';
import { wasmRuntime } from '../node/ort-node.js';
import { readF32, readJson, resultParity } from '../testing/reference-data.js';
import { StableDiffusionPipeline } from './pipeline.js';
import { caseRequest, type DiffusersCase } from '../testing/diffusers-case.js';

interface ArrayRef {
  file: string;
  shape: number[];
}
interface Case extends DiffusersCase {
  id: string;
  seed: number;
  prompt_tokens: number;
  final_latents: ArrayRef;
  image: ArrayRef;
}

const manifest = readJson<{ source: string; cases: Case[] }>('fixtures/pipeline-refs/manifest.json');
const ref = (file: string) => readF32(`fixtures/pipeline-refs/${file}`);

describe('tiny-sd-fp32 against diffusers, from a seed', () => {
  let pipeline: StableDiffusionPipeline;
  beforeAll(async () => {
    pipeline = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource('fixtures/tiny-sd-fp32'), { executionProviders: ['wasm'] });
  });
  afterAll(() => pipeline?.dispose());

  it('covers a negative prompt, Euler a from a seed, and a prompt over 75 tokens', () => {
    expect(manifest.cases.some((c) => c.negative_prompt !== '')).toBe(true);
    expect(manifest.cases.filter((c) => c.scheduler === 'euler_a').length).toBeGreaterThanOrEqual(2);
    expect(manifest.cases.some((c) => c.prompt_tokens > 75)).toBe(true);
  });

  it.each(manifest.cases.map((c) => [c.id, c] as const))('%s', async (_, c) => {
    const result = await pipeline.generate({
      ...caseRequest(c),
      seed: c.seed,
      width: 128,
      height: 128,
    });
    const error = resultParity(c.id, result, ref(c.final_latents.file), ref(c.image.file));
    expect(error.latents).toBeLessThanOrEqual(1e-4);
    expect(error.image).toBeLessThanOrEqual(2e-3);
  });
});
