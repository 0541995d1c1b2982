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
import { SCORE_OUTPUTS, withSafetyScores } from './safety-graph.js';
import { clipPixelValues, parseClipImageProcessorConfig, rgbaToRgb } from '../../core/clip-image-processor.js';
import { readModelPart } from '../model/model-folder.js';

interface Case extends DiffusersCase {
  id: string;
  seed: number;
  nsfw_content_detected: boolean;
  image?: { file: string };
}
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

  it("decides each picture of a batch separately; off by request, the flagged picture is made; the exposed scores are the export's", async () => {
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

    // The scores exposed by safety-graph.ts are the ones the export decides from: forward_onnx's own rule
    // (special > 0 adds 0.01, flagged when any concept > 0, unrounded) on them gives its has_nsfw_concepts.
    const ort = wasmRuntime();
    const { model } = await readModelPart(new DirectoryModelSource(safetyModelDir()), 'safety_checker');
    const session = await ort.InferenceSession.create(withSafetyScores(model, 'safety_checker/model.onnx'));
    const config = parseClipImageProcessorConfig(readJson('fixtures/safety/feature_extractor/preprocessor_config.json'));
    try {
      for (const [i, p] of pictures.entries()) {
        const { data } = clipPixelValues(rgbaToRgb(p.rgba), p.width, p.height, config);
        const out = await session.run({
          clip_input: new ort.Tensor('float32', data, [1, 3, 224, 224]),
          images: new ort.Tensor('float32', new Float32Array(3), [1, 1, 1, 3]),
        });
        const special = out[SCORE_OUTPUTS.special]!.data as Float32Array;
        const concept = out[SCORE_OUTPUTS.concept]!.data as Float32Array;
        const adjustment = special.some((v) => v > 0) ? Math.fround(0.01) : 0;
        const onnxRule = concept.some((v) => Math.fround(v + adjustment) > 0);
        expect([special.length, concept.length]).toEqual([3, 17]);
        expect(Boolean((out.has_nsfw_concepts!.data as Uint8Array)[0]), cases[i]!.id).toBe(onnxRule);
        expect(onnxRule, cases[i]!.id).toBe(cases[i]!.nsfw_content_detected); // these cases are far from the rules' differences
      }
    } finally {
      await session.release();
    }
  });
});
