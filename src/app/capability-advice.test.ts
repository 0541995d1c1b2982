import { describe, expect, it } from 'vitest';
import type { Capabilities } from '../engine/runtime/capabilities.js';
import { wasmOnlyCapabilities } from '../engine/runtime/capabilities.js';
import { presets } from '../presets/presets.js';
import { adviseModel, attentionBufferBytes, describeCapabilities } from './capability-advice.js';

const [shapes, sd14] = presets('https://app.example/');
const wasm: Capabilities = wasmOnlyCapabilities('no WebGPU');
const gpu = (maxBufferSize: number, shaderF16 = false): Capabilities => ({
  webgpu: true,
  softwareAdapter: false,
  shaderF16,
  maxBufferSize,
  maxStorageBufferBindingSize: maxBufferSize,
  adapterInfo: 'google swiftshader',
  backend: 'webgpu',
  explanation: null,
});
const GiB = 1024 ** 3;

describe('adviseModel', () => {
  it('runs the bundled demo on wasm', () => {
    expect(adviseModel(wasm, shapes, { width: 128, height: 128 })).toEqual({ level: 'ok', message: null });
  });

  it('refuses Stable Diffusion v1.4 on wasm, saying why and what to do', () => {
    const advice = adviseModel(wasm, sd14, { width: 512, height: 512 });
    expect(advice.level).toBe('refuse');
    expect(advice.message).toContain('too big for the CPU (wasm) backend');
    expect(advice.message).toContain('WebGPU');
  });

  it('warns about a custom model of unknown size on wasm', () => {
    expect(adviseModel(wasm, { id: 'custom', label: 'x', urls: { fp32: 'https://x/' } }, { width: 512, height: 512 }).level).toBe('warn');
  });

  it('without shader-f16: refuses an fp16-only model, and tells what Stable Diffusion v1.4 needs instead', () => {
    const fp16Only = { id: 'x', label: 'SD fp16', urls: { fp16: 'https://x/' } };
    const refused = adviseModel(gpu(4 * GiB), fp16Only, { width: 512, height: 512 });
    expect(refused.level).toBe('refuse');
    expect(refused.message).toMatch(/^SD fp16 is fp16, and this GPU adapter lacks WebGPU's shader-f16 feature/);
    expect(adviseModel(gpu(4 * GiB, true), fp16Only, { width: 512, height: 512 })).toEqual({ level: 'ok', message: null });
    const sd = adviseModel(gpu(4 * GiB), sd14, { width: 512, height: 512 });
    expect(sd.level).toBe('warn');
    expect(sd.message).toContain('needs an fp32 folder here (tools/prepare_model.py --target portable or --fp32: about 3.97 GiB to download');
    expect(adviseModel(gpu(4 * GiB, true), sd14, { width: 512, height: 512 })).toEqual({ level: 'ok', message: null });
  });

  it('warns when the attention buffer at this size exceeds the adapter limit', () => {
    expect(attentionBufferBytes(512, 512, 4)).toBe(GiB);
    expect(attentionBufferBytes(512, 512, 2)).toBe(GiB / 2);
    expect(adviseModel(gpu(4 * GiB, true), sd14, { width: 512, height: 512 }).level).toBe('ok');
    const small = adviseModel(gpu(256 * 1024 ** 2), sd14, { width: 512, height: 512 });
    expect(small.level).toBe('warn');
    expect(small.message).toContain('1.00 GiB');
    expect(adviseModel(gpu(256 * 1024 ** 2, true), sd14, { width: 256, height: 256 }).level).toBe('ok');
  });
});

describe('describeCapabilities', () => {
  it('lists what was detected', () => {
    expect(describeCapabilities(wasm)).toBe('Backend: CPU (wasm). WebGPU: not available.');
    expect(describeCapabilities(gpu(GiB))).toBe(
      'Backend: WebGPU (google swiftshader) · shader-f16: no (fp32 models) · largest buffer: 1.00 GiB · largest storage binding: 1.00 GiB.',
    );
  });
});
