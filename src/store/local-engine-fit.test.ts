/**
 * What a user without shader-f16, or with a backend the folder was not made for, gets from the
 * engine: a refusal that names the missing feature or limit, said before the weights are
 * downloaded. LocalEngine with the real WeightStore (fake-indexeddb) over the fault server serving
 * the tiny fixtures; the server's request log shows which files moved.
 */
import 'fake-indexeddb/auto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultServer, type FaultServer } from '../../e2e/lib/fault-server.js';
import { wasmRuntime } from '../node/ort-node.js';
import type { Capabilities } from '../engine/runtime/capabilities.js';
import { wasmOnlyCapabilities } from '../engine/runtime/capabilities.js';
import { LocalEngine } from '../engine/local-engine.js';
import type { ModelSpec } from '../engine/model/model-spec.js';
import { WeightStore } from './weight-store.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
let server: FaultServer;
let counter = 0;

beforeAll(async () => {
  server = await startFaultServer({ root: FIXTURES });
});
afterAll(() => server.close());

const SWIFTSHADER: Capabilities = {
  webgpu: true,
  shaderF16: false,
  maxBufferSize: 2 ** 31,
  maxStorageBufferBindingSize: 2 ** 31,
  adapterInfo: 'google swiftshader',
  softwareAdapter: true,
  backend: 'webgpu',
  explanation: null,
};
const WASM: Capabilities = wasmOnlyCapabilities(null);

function engineFor(caps: Capabilities) {
  const label = `e${++counter}`;
  const store = new WeightStore({ dbName: `fit-${counter}`, chunkSize: 1 << 20, storage: null, locks: null, retry: { baseDelayMs: 1, maxDelayMs: 4 } });
  const engine = new LocalEngine({ ort: wasmRuntime(), store, detect: async () => caps });
  /** Files fetched (GET) under this engine's label, relative to their model folder. */
  const fetched = () => server.log.filter((entry) => entry.label === label && entry.method === 'GET').map((entry) => entry.path.replace(/^[^/]+\//, ''));
  return { engine, store, fetched, url: (folder: string) => `${server.url}${label}/${folder}/` };
}

describe('a model this browser cannot run is refused before its weights download', () => {
  it('an fp16-only preset on WebGPU without shader-f16: refused before any request, naming the feature and what to use', async () => {
    const { engine, fetched, url } = engineFor(SWIFTSHADER);
    const spec: ModelSpec = { id: 'sd-fp16', urls: { fp16: url('tiny-sd-fp16') } };
    const error = await engine.load(spec).then(
      () => new Error('loaded'),
      (e: unknown) => e as Error,
    );
    expect(error.name).toBe('ShaderF16UnsupportedError');
    expect(error.message).toMatch(/^The model sd-fp16 is fp16, and this GPU adapter lacks WebGPU's shader-f16 feature/);
    expect(error.message).toContain('tools/prepare_model.py --target webgpu --fp32, or --target portable');
    expect(fetched()).toEqual([]);
  });

  it('a folder typed as a URL that turns out to be fp16: refused after its graphs, before unet/weights.pb', async () => {
    const { engine, fetched, url } = engineFor(SWIFTSHADER);
    const spec: ModelSpec = { id: 'custom', urls: { fp32: url('tiny-sd-fp16') } };
    const error = await engine.load(spec).then(
      () => new Error('loaded'),
      (e: unknown) => e as Error,
    );
    expect(error.name).toBe('ShaderF16UnsupportedError');
    expect(error.message).toMatch(/^tiny-sd-fp16's (vae_decoder|unet) is fp16/);
    expect(fetched()).toContain('unet/model.onnx');
    expect(fetched()).not.toContain('unet/weights.pb');
  });

  it("a weight tensor over the GPU's maxStorageBufferBindingSize: refused with the tensor, its size and the limit", async () => {
    // tiny-sd-fp32's largest tensor: the text encoder's token embedding, 49408 x 32 x 4 = 6,324,224 bytes.
    const { engine, fetched, url } = engineFor({ ...SWIFTSHADER, maxStorageBufferBindingSize: 4 * 1024 ** 2 });
    const error = await engine.load({ id: 't', urls: { fp32: url('tiny-sd-fp32') } }).then(
      () => new Error('loaded'),
      (e: unknown) => e as Error,
    );
    expect(error.name).toBe('ModelTooLargeError');
    expect(error.message).toContain(
      "has a weight tensor of 6.03 MiB (embeddings.token_embedding.weight), more than this GPU's maxStorageBufferBindingSize (4.00 MiB)",
    );
    expect(fetched()).not.toContain('unet/weights.pb');
  });

  it('the same checks run for a model already stored (another backend, same weights)', async () => {
    const { engine, store, url } = engineFor(WASM);
    const spec: ModelSpec = { id: 't', urls: { fp32: url('tiny-sd-fp32') } };
    await expect(engine.load(spec)).resolves.toMatchObject({ backend: 'wasm', precision: 'fp32' });
    await engine.dispose();
    const strict = new LocalEngine({ ort: wasmRuntime(), store, detect: async () => ({ ...SWIFTSHADER, maxBufferSize: 1024 ** 2 }) });
    await expect(strict.load(spec)).rejects.toThrow(/more than this GPU's maxBufferSize \(1\.00 MiB\)/);
  });

  it('a picture request on a folder without vae_encoder/: refused from its file list, before any graph or weight moves; text-to-image still loads', async () => {
    const { engine, fetched, url } = engineFor(WASM);
    server.fault('tiny-sd-fp32/vae_encoder/model.onnx', { status: 404 }); // a folder exported without its VAE encoder
    try {
      const spec: ModelSpec = { id: 't', urls: { fp32: url('tiny-sd-fp32') } };
      const progress: string[] = [];
      const error = await engine.load(spec, { needsVaeEncoder: true, onProgress: (p) => progress.push(p.stage) }).then(
        () => new Error('loaded'),
        (e: unknown) => e as Error,
      );
      expect(error.name).toBe('ModelFileMissingError');
      expect(error.message).toBe(
        '"tiny-sd-fp32" has no vae_encoder/model.onnx, which img2img and inpainting need: use a model folder exported with its VAE encoder.',
      );
      // Only the folder's description moved (manifest.json is tried, model_index.json read; sizes by HEAD).
      expect(fetched().filter((path) => path !== 'manifest.json')).toEqual(['model_index.json']);
      expect(progress.filter((stage) => stage === 'load')).toEqual([]);
      // The same folder loads for text-to-image and says it has no encoder; a picture request is then refused at once.
      await expect(engine.load(spec)).resolves.toMatchObject({ hasVaeEncoder: false });
      await expect(engine.load(spec, { needsVaeEncoder: true })).rejects.toThrow(error.message);
    } finally {
      server.clearFaults();
      await engine.dispose();
    }
  });

  it('a picture request on a folder with vae_encoder/ loads as before, and the model says it has one', async () => {
    const { engine, url } = engineFor(WASM);
    await expect(engine.load({ id: 't', urls: { fp32: url('tiny-sd-fp32') } }, { needsVaeEncoder: true })).resolves.toMatchObject({
      hasVaeEncoder: true,
      backend: 'wasm',
    });
    await engine.dispose();
  });
});
