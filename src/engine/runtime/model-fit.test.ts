/**
 * The checks that run before weights are downloaded or handed to onnxruntime (model-fit.ts,
 * onnx-graph.ts) and the translation of onnxruntime's own failures (session-errors.ts).
 *
 * Reference numbers: the tiny fixtures' largest initializers and input types as the Python `onnx`
 * package reads them (onnx 1.23: max over graph.initializer of prod(dims) x element size);
 * SD v1.4's sizes from tools/prepare_model.py's outputs quoted in issue 10 (fp32 unet/weights.pb
 * 3,437,361,920 bytes) and diffusers' parameter counts (text encoder 123 M, VAE decoder 49 M).
 * fixtures/webgpu-ops/*.onnx hold one com.microsoft.BiasSplitGelu node (make_webgpu_ops.py).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BackendMismatchError, ModelTooLargeError, ShaderF16UnsupportedError } from '../../core/errors.js';
import { wasmRuntime } from '../../node/ort-node.js';
import { backendOf, checkModelFits, checkOperators, checkSizes, WASM_HEAP_BYTES, type PartPlan } from './model-fit.js';
import { summarizeGraph, type GraphSummary } from '../../core/onnx/graph.js';
import { createSession } from './ort.js';
import { OrtModel } from './ort-model.js';
import { explainSessionError } from './session-errors.js';

const read = (path: string) => new Uint8Array(readFileSync(new URL(`../../../${path}`, import.meta.url)));
const bsg = (precision: 'fp16' | 'fp32') => read(`fixtures/webgpu-ops/bias-split-gelu-${precision}.onnx`);

describe('summarizeGraph', () => {
  it('reads input float type, operators and the largest initializer like the onnx package does', () => {
    const unet16 = summarizeGraph(read('fixtures/tiny-sd-fp16/unet/model.onnx'));
    expect(unet16.floatType).toBe('float16');
    // The fp16 UNet keeps its weights in weights.pb: sizes come from dims x element type.
    expect(unet16.largestTensorBytes).toBe(147_456);
    expect(unet16.largestTensorName).toBe('up_blocks.0.resnets.0.conv1.weight');
    expect(unet16.operators.every((op) => op.domain === '')).toBe(true);
    expect(unet16.operators.map((op) => op.opType)).toContain('Conv');

    const unet32 = summarizeGraph(read('fixtures/tiny-sd-fp32/unet/model.onnx'));
    expect(unet32.floatType).toBe('float32');
    expect(unet32.largestTensorBytes).toBe(294_912);

    const text32 = summarizeGraph(read('fixtures/tiny-sd-fp32/text_encoder/model.onnx'));
    expect(text32.floatType).toBeNull(); // int32 input_ids only
    expect(text32.largestTensorBytes).toBe(6_324_224); // inline token embedding 49408 x 32 x 4

    const fused = summarizeGraph(bsg('fp16'));
    expect(fused.operators).toEqual([{ domain: 'com.microsoft', opType: 'BiasSplitGelu' }]);
    expect(fused.floatType).toBe('float16');
  });

  it('says a truncated file is not readable ONNX', () => {
    const model = read('fixtures/tiny-sd-fp32/unet/model.onnx');
    expect(() => summarizeGraph(model.subarray(0, 1000), 'unet/model.onnx')).toThrow(/unet\/model\.onnx is not a readable ONNX model/);
  });
});

describe('a folder prepared for WebGPU on the CPU', () => {
  it('is refused before onnxruntime with what it is and what to do', async () => {
    const error = await OrtModel.create('unet', wasmRuntime(), bsg('fp32'), { executionProviders: ['wasm'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendMismatchError);
    const message = (error as Error).message;
    expect(message).toContain('The unet model was prepared for WebGPU');
    expect(message).toContain('com.microsoft.BiasSplitGelu');
    expect(message).toContain('--target portable');
    expect(message).not.toContain('re-download');
    expect(() => checkOperators('unet', summarizeGraph(bsg('fp16')), 'cpu')).toThrow(/onnxruntime-node's CPU backend has no kernel/);
    expect(() => checkOperators('unet', summarizeGraph(bsg('fp16')), 'webgpu')).not.toThrow();
  });

  it("translates onnxruntime's own missing-kernel errors (both wordings) instead of suggesting a re-download", async () => {
    for (const precision of ['fp32', 'fp16'] as const) {
      // Straight to onnxruntime, past the graph check: its real wording, translated.
      const ortError = await createSession(wasmRuntime(), bsg(precision), { executionProviders: ['wasm'] }).catch((e: unknown) => e);
      expect(String(ortError)).toMatch(/Could not find an implementation for BiasSplitGelu|Failed to find kernel for com\.microsoft\.BiasSplitGelu/);
      const explained = explainSessionError('unet', 'wasm', ortError, precision === 'fp16' ? 'float16' : 'float32');
      expect(explained).toBeInstanceOf(BackendMismatchError);
      expect(explained.message).toMatch(
        /^The unet model uses the operator (com\.microsoft\.)?BiasSplitGelu \(opset 1\), which the wasm \(CPU\) backend has no kernel for/,
      );
      expect(explained.message).toContain('--target portable');
    }
  });

  it('keeps the damaged-file advice for what really is a broken file', () => {
    const explained = explainSessionError(
      'vae_decoder',
      'wasm',
      new Error("Can't create a session. ERROR_CODE: 7, ERROR_MESSAGE: Failed to load model because protobuf parsing failed."),
    );
    expect(explained.name).toBe('ModelFormatError');
    expect(explained.message).toContain('re-download it if it may be damaged');
  });
});

const graph = (floatType: GraphSummary['floatType'], largestTensorBytes: number, name = 'w'): GraphSummary => ({
  operators: [],
  floatType,
  largestTensorBytes,
  largestTensorName: name,
});

/** SD v1.4 fp32 as prepare_model.py --target portable writes it (unet/weights.pb from issue 10; model.onnx files about 1 MB). */
const SD14_FP32: PartPlan[] = [
  { part: 'text_encoder', bytes: 492_000_000, graph: graph(null, 151_781_376, 'text_model.embeddings.token_embedding.weight') },
  { part: 'unet', bytes: 3_438_000_000, graph: graph('float32', 117_964_800, 'up_blocks.0.resnets.0.conv1.weight') },
  { part: 'vae_decoder', bytes: 198_000_000, graph: graph('float32', 9_437_184) },
];
const SD14_FP16: PartPlan[] = SD14_FP32.map((p) => ({
  ...p,
  bytes: p.bytes / 2,
  graph: { ...p.graph, floatType: p.graph.floatType && 'float16', largestTensorBytes: p.graph.largestTensorBytes / 2 },
}));

describe('size limits, said before download', () => {
  it('refuses SD v1.4 fp32 on wasm (4 GiB heap) with the sizes, and lets fp16 through', () => {
    expect(() => checkSizes('sd-v1-4-fp32', SD14_FP32, { backend: 'wasm' })).toThrow(ModelTooLargeError);
    try {
      checkSizes('sd-v1-4-fp32', SD14_FP32, { backend: 'wasm' });
    } catch (error) {
      expect((error as Error).message).toBe(
        'sd-v1-4-fp32 has 3.84 GiB of weights (text_encoder 469.2 MiB, unet 3.20 GiB, vae_decoder 188.8 MiB); the wasm backend keeps them all in its heap, which holds at most 4.00 GiB (with 512.0 MiB needed to run). Use a browser with WebGPU, or a smaller (fp16) export of the model.',
      );
    }
    expect(() => checkSizes('sd-v1-4-fp16', SD14_FP16, { backend: 'wasm' })).not.toThrow();
    // The boundary: weights plus headroom may fill the heap exactly.
    const exact: PartPlan[] = [{ part: 'unet', bytes: WASM_HEAP_BYTES - 512 * 1024 ** 2, graph: graph('float32', 1) }];
    expect(() => checkSizes('m', exact, { backend: 'wasm' })).not.toThrow();
    expect(() => checkSizes('m', [{ ...exact[0]!, bytes: exact[0]!.bytes + 1 }], { backend: 'wasm' })).toThrow(ModelTooLargeError);
    // Node's CPU EP is native: no heap limit.
    expect(() => checkSizes('sd-v1-4-fp32', SD14_FP32, { backend: 'cpu' })).not.toThrow();
  });

  it("refuses a weight tensor larger than the GPU's buffer limits, naming the tensor and the limit", () => {
    const limits = { backend: 'webgpu' as const, shaderF16: true, maxBufferSize: 256 * 1024 ** 2, maxStorageBufferBindingSize: 128 * 1024 ** 2 };
    expect(() => checkSizes('sd-v1-4-fp32', SD14_FP32, limits)).toThrow(
      "The text_encoder of sd-v1-4-fp32 has a weight tensor of 144.8 MiB (text_model.embeddings.token_embedding.weight), more than this GPU's maxStorageBufferBindingSize (128.0 MiB)",
    );
    expect(() => checkSizes('sd-v1-4-fp16', SD14_FP16, limits)).not.toThrow();
    expect(() => checkSizes('sd-v1-4-fp16', SD14_FP16, { ...limits, maxBufferSize: 64 * 1024 ** 2 })).toThrow(/maxBufferSize \(64\.0 MiB\)/);
  });

  it('refuses an fp16 folder on a WebGPU adapter without shader-f16, and runs it where the adapter has it', () => {
    const noF16 = { backend: 'webgpu' as const, shaderF16: false, maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 31 };
    expect(() => checkModelFits('sd-v1-4-fp16', SD14_FP16, noF16)).toThrow(ShaderF16UnsupportedError);
    expect(() => checkModelFits('sd-v1-4-fp16', SD14_FP16, noF16)).toThrow(
      /^sd-v1-4-fp16's unet is fp16, and this GPU adapter lacks WebGPU's shader-f16 feature/,
    );
    expect(() => checkModelFits('sd-v1-4-fp16', SD14_FP16, { ...noF16, shaderF16: true })).not.toThrow();
    expect(() => checkModelFits('sd-v1-4-fp32', SD14_FP32, noF16)).not.toThrow();
  });

  it('names the backend of a provider list', () => {
    expect(backendOf(['webgpu', 'wasm'])).toBe('webgpu');
    expect(backendOf([{ name: 'webgpu' }])).toBe('webgpu');
    expect(backendOf(['cpu'])).toBe('cpu');
    expect(backendOf(['wasm'])).toBe('wasm');
  });
});
