/**
 * The safety checker against diffusers: fixtures/safety/cases.json, made by tools/make_safety_refs.py
 * (StableDiffusionPipeline, torch fp32 CPU, tiny-sd weights with a tiny random StableDiffusionSafetyChecker
 * exported to ONNX as diffusers' converter does). Each case's nsfw_content_detected exactly: c0 flagged by a
 * concept (+0.02), c1 only through the special-care +0.01 adjustment (concept at -0.005), c2 kept at -0.005
 * without special care, c3 special care alone (kept), c4 and c5 far from every threshold. Unflagged pictures
 * within 2e-3 (max abs) of diffusers'. The engine runs on onnxruntime-web's wasm backend in Node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NsfwContentDetectedError } from '../../core/errors.js';
import { DirectoryModelSource } from '../../node/directory-source.js';
import { wasmRuntime } from '../../node/ort-node.js';
import { caseRequest, type DiffusersCase } from '../../testing/diffusers-case.js';
import { maxAbsDiff, readF32, readJson } from '../../testing/reference-data.js';
import { safetyModelDir } from '../../testing/safety-model.js';
import { StableDiffusionPipeline } from '../pipeline.js';
import { SafetyChecker } from './safety-checker.js';

interface Case extends DiffusersCase { id: string; seed: number; nsfw_content_detected: boolean; image?: { file: string } }
const { cases } = readJson<{ cases: Case[] }>('fixtures/safety/cases.json');
const request = (c: Case) => ({ ...caseRequest(c), seed: c.seed, width: 128, height: 128 });

describe('safety checker against diffusers (tiny-sd + tiny checker, wasm)', () => {
  let checked: StableDiffusionPipeline;
  let unchecked: StableDiffusionPipeline;
  beforeAll(async () => {
    const source = new DirectoryModelSource(safetyModelDir());
    checked = await StableDiffusionPipeline.load(wasmRuntime(), source, { executionProviders: ['wasm'] });
    unchecked = await StableDiffusionPipeline.load(wasmRuntime(), source, { executionProviders: ['wasm'], safetyChecker: false });
  });
  afterAll(async () => {
    await checked?.dispose();
    await unchecked?.dispose();
  });

  it('the references flag some pictures and keep others', () => {
    expect(cases.filter((c) => c.nsfw_content_detected).length).toBeGreaterThanOrEqual(2);
    expect(cases.filter((c) => !c.nsfw_content_detected).length).toBeGreaterThanOrEqual(2);
    expect(checked.hasSafetyChecker).toBe(true);
    expect(unchecked.hasSafetyChecker).toBe(false);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s: diffusers decision, unflagged picture within 2e-3', async (_, c) => {
    const run = checked.generate(request(c));
    if (c.nsfw_content_detected) {
      await expect(run).rejects.toBeInstanceOf(NsfwContentDetectedError);
      return;
    }
    const result = await run;
    const error = maxAbsDiff(result.image, readF32(`fixtures/safety/${c.image!.file}`));
    console.log(`${c.id}: kept, image max abs ${error.toExponential(2)}`);
    expect(error).toBeLessThanOrEqual(2e-3);
  });

  it('decides each picture of a batch separately; off by request, the flagged picture is made', async () => {
    const pictures = [];
    for (const c of cases) pictures.push(await unchecked.generate(request(c))); // safetyChecker: false: nothing withheld
    const checker = await SafetyChecker.load(wasmRuntime(), new DirectoryModelSource(safetyModelDir()), { executionProviders: ['wasm'] });
    try {
      const decisions = await checker.check(pictures);
      expect(decisions.map((d) => d.nsfwContentDetected)).toEqual(cases.map((c) => c.nsfw_content_detected));
      expect(decisions.map((d) => d.specialCare)).toEqual([false, true, false, true, false, false]);
    } finally {
      await checker.dispose();
    }
  });
});
