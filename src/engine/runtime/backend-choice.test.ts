/**
 * Backend choice on a software WebGPU adapter (issue 12 item 8), from fake adapters shaped like
 * what Chromium reports: SwiftShader (`google` / `swiftshader`, Chromium's headless and
 * GPU-blocklisted default), Mesa's llvmpipe, `isFallbackAdapter`, and a hardware GPU.
 */
import { describe, expect, it } from 'vitest';
import { chooseBackend, SMALL_MODEL_BYTES } from './backend-choice.js';
import { detectCapabilities } from './capabilities.js';

type Adapter = NonNullable<Parameters<typeof detectCapabilities>[0]> extends { requestAdapter(): Promise<infer A> } ? NonNullable<A> : never;
const adapter = (info: Adapter['info'], extra: Partial<Adapter> = {}): Adapter => ({
  features: { has: () => false },
  limits: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 27 },
  info,
  ...extra,
});
const gpu = (a: Adapter) => ({ requestAdapter: async () => a });

const demo = { sizeBytes: { fp32: 28_000_000 } }; // the bundled shapes-sd
const sd14 = { sizeBytes: { fp16: 2_130_000_000, fp32: 4_270_000_000 } };
const custom = {}; // a URL of unknown size

describe('software WebGPU adapters', () => {
  it.each([
    ['SwiftShader', adapter({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)' })],
    ['llvmpipe', adapter({ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 17.0.6, 256 bits)' })],
    ['GPUAdapterInfo.isFallbackAdapter', adapter({ vendor: 'some', isFallbackAdapter: true })],
    ['the older adapter.isFallbackAdapter', adapter({ vendor: 'some' }, { isFallbackAdapter: true })],
  ])('%s counts as software: small models run on wasm, with the reason; forcing WebGPU is honoured', async (_, a) => {
    const caps = await detectCapabilities(gpu(a));
    expect(caps).toMatchObject({ webgpu: true, softwareAdapter: true, backend: 'webgpu' });
    expect(caps.explanation).toMatch(/software renderer .* small models run on the CPU \(wasm\)/);
    expect(chooseBackend(caps, demo)).toEqual({ backend: 'wasm', reason: expect.stringMatching(/software renderer.*"Use WebGPU even on a software GPU"/) });
    expect(chooseBackend(caps, demo, 'webgpu')).toEqual({ backend: 'webgpu', reason: null });
    // Too big for wasm, or of unknown size: WebGPU, as before.
    expect(chooseBackend(caps, sd14).backend).toBe('webgpu');
    expect(chooseBackend(caps, custom).backend).toBe('webgpu');
    expect(chooseBackend(caps, { sizeBytes: { fp32: SMALL_MODEL_BYTES + 1 } }).backend).toBe('webgpu');
  });

  it('a hardware GPU keeps WebGPU for every model; no WebGPU means wasm whatever the setting', async () => {
    const caps = await detectCapabilities(gpu(adapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100' })));
    expect(caps.softwareAdapter).toBe(false);
    expect(chooseBackend(caps, demo)).toEqual({ backend: 'webgpu', reason: null });
    expect(chooseBackend(caps, demo, 'wasm')).toEqual({ backend: 'wasm', reason: expect.stringContaining('chosen in the settings') });
    const none = await detectCapabilities(undefined);
    expect(chooseBackend(none, demo, 'webgpu')).toEqual({ backend: 'wasm', reason: null });
  });
});
