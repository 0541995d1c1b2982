/**
 * The GroupNorm rewrite (precise-group-norm.ts) on onnxruntime-web wasm against float64 results.
 *
 * References:
 * - fixtures/img2img/encoder/mean_f64_{A,B}.f32: the bundled shapes-sd fp32 VAE encoder's mean for the img2img
 *   init pictures, computed in float64 by torch (the VAE rebuilt from the model's ONNX weights),
 *   tools/check_group_norm.py (which also measures torch float32: contiguous 4.8e-7, diffusers' channels-last
 *   from a PIL picture 4.2e-6 .. 7.2e-5 with the thread count; onnxruntime CPU 1.1e-5 on init_A).
 * - fixtures/group-norm/: a Conv + two GroupNorms (4-D and the attention block's 3-D layout) exported at
 *   opset 17 and 18, a flat input and its float64 output, tools/make_group_norm_fixture.py.
 * Bounds: rel L2 from float64 3e-6 for the shapes-sd encoder (measured 1.1e-6 / 2.7e-7; before the rewrite
 * 6.8e-5 / 3.1e-5, logged); 2e-5 for the small graph (measured 9.2e-6, before 6.7e-5), whose 3-D GroupNorm
 * still sums its 4096 values per channel along one axis (the rewrite splits sums only where the layout does).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rgbaToVaeInput } from '../../core/init-image.js';
import { decodeImage } from '../../node/decode-image.js';
import { wasmRuntime } from '../../node/ort-node.js';
import { readF32, relativeL2 } from '../../testing/reference-data.js';
import { summarizeGraph } from '../../core/onnx/graph.js';
import { preciseGroupNorm } from './precise-group-norm.js';

const ort = wasmRuntime();
const model = (path: string) => new Uint8Array(readFileSync(path));
const operators = (bytes: Uint8Array) => summarizeGraph(bytes).operators.map((o) => o.opType);

async function run(bytes: Uint8Array, input: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, dims) });
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('preciseGroupNorm', () => {
  const encoder = model('public/models/shapes-sd-fp32/vae_encoder/model.onnx');

  it('replaces every GroupNorm InstanceNormalization of the VAE encoder and leaves graphs without one alone', () => {
    const rewritten = preciseGroupNorm(encoder);
    expect(operators(encoder)).toContain('InstanceNormalization');
    expect(rewritten).not.toBeNull();
    expect(operators(rewritten!)).not.toContain('InstanceNormalization');
    expect(operators(rewritten!)).toEqual(expect.arrayContaining(['ReduceMean', 'Sqrt', 'Div']));
    expect(preciseGroupNorm(model('public/models/shapes-sd-fp32/text_encoder/model.onnx'))).toBeNull();
    expect(preciseGroupNorm(model('public/models/shapes-sd-fp16/vae_encoder/model.onnx'))).toBeNull(); // float16: left as it is
  });

  it.each(['A', 'B'])('the shapes-sd VAE encoder on init_%s is within 3e-6 of float64', { timeout: 60_000 }, async (name) => {
    const image = rgbaToVaeInput(await decodeImage(readFileSync(`fixtures/img2img/public/init_${name}.png`), name));
    const truth = readF32(`fixtures/img2img/encoder/mean_f64_${name}.f32`);
    const precise = relativeL2(await run(preciseGroupNorm(encoder)!, image, [1, 3, 128, 128]), truth);
    const before = relativeL2(await run(encoder, image, [1, 3, 128, 128]), truth);
    console.log(`init_${name}: encoder mean rel L2 from float64 ${precise.toExponential(2)} (onnxruntime's InstanceNormalization: ${before.toExponential(2)})`);
    expect(precise).toBeLessThanOrEqual(3e-6);
  });

  it.each([17, 18])('GroupNorm over 4-D and 3-D tensors exported at opset %i is within 2e-5 of float64', { timeout: 30_000 }, async (opset) => {
    const bytes = model(`fixtures/group-norm/group-norm-opset${opset}.onnx`);
    const truth = readF32('fixtures/group-norm/output_f64.f32');
    const rewritten = preciseGroupNorm(bytes);
    expect(rewritten).not.toBeNull();
    const error = relativeL2(await run(rewritten!, readF32('fixtures/group-norm/input.f32'), [1, 3, 64, 64]), truth);
    console.log(
      `opset ${opset}: rel L2 from float64 ${error.toExponential(2)} (before: ${relativeL2(await run(bytes, readF32('fixtures/group-norm/input.f32'), [1, 3, 64, 64]), truth).toExponential(2)})`,
    );
    expect(error).toBeLessThanOrEqual(2e-5);
  });
});
