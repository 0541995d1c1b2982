/**
 * safety-graph.ts and the folder checks around the safety checker: the rewrite of diffusers' export
 * (fixtures/safety/safety_checker/model.onnx) adds the two score outputs and keeps the export's own; a graph
 * that is not the export is refused with a ModelFormatError; a folder whose model_index.json lists a
 * safety checker but lacks its graph is refused rather than run unchecked, unless the checker is turned off.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelFileMissingError, ModelFormatError } from '../../core/errors.js';
import { DirectoryModelSource } from '../../node/directory-source.js';
import { wasmRuntime } from '../../node/ort-node.js';
import { safetyModelDir } from '../../testing/safety-model.js';
import { StableDiffusionPipeline } from '../pipeline.js';
import { SafetyChecker } from './safety-checker.js';
import { SCORE_OUTPUTS, withSafetyScores } from './safety-graph.js';

describe('the safety checker graph rewrite', () => {
  it("adds special_scores and concept_scores as outputs, beside the export's own", async () => {
    const session = await wasmRuntime().InferenceSession.create(
      withSafetyScores(new Uint8Array(readFileSync('fixtures/safety/safety_checker/model.onnx')), 'x'),
    );
    expect([...session.outputNames].sort()).toEqual(['has_nsfw_concepts', 'out_images', SCORE_OUTPUTS.concept, SCORE_OUTPUTS.special].sort());
    await session.release();
  });

  it("refuses a graph that is not diffusers' safety checker export", () => {
    expect(() => withSafetyScores(new Uint8Array(readFileSync('fixtures/tiny-sd-fp32/text_encoder/model.onnx')), 'm/safety_checker/model.onnx')).toThrow(
      ModelFormatError,
    );
    expect(() => withSafetyScores(new Uint8Array(readFileSync('fixtures/tiny-sd-fp32/text_encoder/model.onnx')), 'm/safety_checker/model.onnx')).toThrow(
      /expected one Sub with special_care_embeds_weights, found 0/,
    );
  });
});

describe('a folder that lists a safety checker', () => {
  it('without its graph is refused (not run unchecked); with the checker turned off it loads', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sd-safety-missing-')), 'listed-not-there');
    cpSync(safetyModelDir(), dir, { recursive: true });
    rmSync(join(dir, 'safety_checker'), { recursive: true });
    const source = new DirectoryModelSource(dir);
    await expect(SafetyChecker.inFolder(source)).rejects.toThrow(ModelFileMissingError);
    await expect(StableDiffusionPipeline.load(wasmRuntime(), source, { executionProviders: ['wasm'] })).rejects.toThrow(
      /lists a safety checker, but safety_checker\/model.onnx is missing/,
    );
    const unchecked = await StableDiffusionPipeline.load(wasmRuntime(), source, { executionProviders: ['wasm'], safetyChecker: false });
    expect(unchecked.hasSafetyChecker).toBe(false);
    await unchecked.dispose();
    expect(await SafetyChecker.inFolder(new DirectoryModelSource('fixtures/tiny-sd-fp32'))).toBe(false); // lists [null, null]
  });
});
