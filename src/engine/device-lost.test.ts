/**
 * Issue 25, GPU device lost, in Node: LocalEngine on a stand-in for onnxruntime-web's WebGPU backend
 * (the wasm runtime, with `env.webgpu.device` a fake device whose `lost` promise the test resolves, as
 * `GPUDevice.destroy()` does in the browser; e2e/gpu-device-lost.e2e.ts does it for real on SwiftShader).
 * The running job fails with GpuDeviceLostError at once, the lost sessions are released, and the next
 * load makes new ones on a fresh device (given in the EP options) from the same store, with the same image.
 */
import { describe, expect, it } from 'vitest';
import { GpuDeviceLostError } from '../core/errors.js';
import { DirectoryModelStore } from '../node/directory-store.js';
import { wasmRuntime } from '../node/ort-node.js';
import { LocalEngine } from './local-engine.js';
import type { Capabilities } from './runtime/capabilities.js';
import type { OrtModule, OrtSessionOptions } from './runtime/ort.js';

class FakeDevice {
  lose!: (info: { reason: string; message: string }) => void;
  readonly lost = new Promise<{ reason: string; message: string }>((resolve) => (this.lose = resolve));
}

const GPU: Capabilities = {
  webgpu: true,
  softwareAdapter: false,
  shaderF16: false,
  maxBufferSize: 2 ** 31,
  maxStorageBufferBindingSize: 2 ** 31,
  adapterInfo: 'fake',
  backend: 'webgpu',
  explanation: null,
};

/** The wasm runtime answering for WebGPU: records each session's providers and which sessions were released. */
function fakeWebGpuRuntime() {
  const wasm = wasmRuntime();
  const log = { providers: [] as unknown[], created: 0, released: 0 };
  const defaultDevice = new FakeDevice();
  const create = async (model: Uint8Array, options: OrtSessionOptions) => {
    log.providers.push(options.executionProviders?.[0]);
    const session = await wasm.InferenceSession.create(model, { ...options, executionProviders: ['wasm'] });
    log.created++;
    const release = session.release.bind(session);
    session.release = () => (log.released++, release());
    return session;
  };
  const ort = { Tensor: wasm.Tensor, InferenceSession: { create }, env: { webgpu: { device: defaultDevice } } } as unknown as OrtModule;
  return { ort, log, defaultDevice };
}

describe('LocalEngine when the GPU device is lost', () => {
  it('fails the running job with GpuDeviceLostError, releases its sessions, and the next load runs on a fresh device', async () => {
    const { ort, log, defaultDevice } = fakeWebGpuRuntime();
    const fresh = new FakeDevice();
    let requested = 0;
    const engine = new LocalEngine({ ort, store: new DirectoryModelStore(), detect: async () => GPU, requestDevice: async () => (requested++, fresh) });
    const spec = { id: 'tiny', urls: { fp32: 'fixtures/tiny-sd-fp32' } };
    const request = { prompt: 'a red circle', seed: 7, numInferenceSteps: 2, scheduler: 'ddim' as const, guidanceScale: 1 };

    await engine.load(spec, { backend: 'webgpu' });
    const sessions = log.created;
    expect(log.providers.every((p) => p === 'webgpu')).toBe(true);
    const before = await engine.generate(request);

    const failure = await engine
      .generate(request, {
        onProgress: (p) => p.stage === 'denoise' && p.step === 1 && defaultDevice.lose({ reason: 'destroyed', message: 'Device was destroyed.' }),
      })
      .then(
        () => null,
        (error: Error) => error,
      );
    expect(failure).toBeInstanceOf(GpuDeviceLostError);
    expect(failure!.message).toMatch(
      /^The GPU device was lost \(destroyed: Device was destroyed\.\).*Try again: the next request makes new GPU sessions from the stored weights/,
    );
    expect(requested).toBe(0); // nothing is requested until the next load

    const made = log.providers.length;
    await engine.load(spec, { backend: 'webgpu' });
    expect(log.released).toBeGreaterThanOrEqual(sessions); // the lost device's sessions went before the new ones came
    expect(requested).toBe(1);
    const after = await engine.generate(request);
    expect(log.providers.length).toBeGreaterThan(made + 3); // three parts, and the uploaders of GPU-resident inputs
    expect(log.providers.slice(made)).toEqual(Array(log.providers.length - made).fill({ name: 'webgpu', device: fresh }));
    expect(Buffer.from(after.rgba).equals(Buffer.from(before.rgba))).toBe(true);
    await engine.dispose();
  }, 400_000);
});
