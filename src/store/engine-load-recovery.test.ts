/**
 * Issue 25 item 3, the engine's half: a stored part that passes the store's checks (a readable graph,
 * the sizes it names) but that onnxruntime refuses is forgotten by the store, so that loading again
 * downloads it afresh instead of refusing the same stored copy until the user deletes the model.
 * LocalEngine on the wasm backend with the real WeightStore (fake-indexeddb), the fault server serving
 * the tiny fixture; its vae_decoder/model.onnx is replaced by a graph whose node reads an input that
 * nothing defines (onnxruntime: not a valid graph), then put back.
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultServer, type FaultServer } from '../../e2e/lib/fault-server.js';
import { ModelFormatError } from '../core/errors.js';
import { graphProto, modelProto } from '../core/onnx/onnx-write.js';
import { LocalEngine } from '../engine/local-engine.js';
import type { Capabilities } from '../engine/runtime/capabilities.js';
import { wasmOnlyCapabilities } from '../engine/runtime/capabilities.js';
import { wasmRuntime } from '../node/ort-node.js';
import { WeightStore } from './weight-store.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/tiny-sd-fp32/', import.meta.url));
const DECODER = 'vae_decoder/model.onnx';
const WASM: Capabilities = wasmOnlyCapabilities(null);

/** A graph the store reads (operators, no external data) and onnxruntime refuses: its node's input is defined nowhere. */
const brokenDecoder = modelProto(
  graphProto({
    nodes: [{ op: 'Identity', inputs: ['undefined_tensor'], outputs: ['sample'] }],
    inputs: [{ name: 'latent_sample', dims: [1, 4, 16, 16] }],
    outputs: [{ name: 'sample', dims: [1, 4, 16, 16] }],
  }),
);

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer({ root: FIXTURE });
});
afterAll(() => server.close());

describe('a stored part onnxruntime refuses', () => {
  it('is forgotten by the store, and loading again after the server is fixed downloads it afresh and works', async () => {
    const store = new WeightStore({ dbName: 'engine-load-recovery', chunkSize: 1 << 20, storage: null, locks: null, retry: { baseDelayMs: 1, maxDelayMs: 4 } });
    const engine = new LocalEngine({ ort: wasmRuntime(), store, detect: async () => WASM });
    const spec = { id: 'tiny', urls: { fp32: `${server.url}m/` } };
    const decoderGets = () => server.requests(DECODER, 'm').filter((r) => r.method === 'GET').length;

    server.setFile(DECODER, brokenDecoder);
    const failure = await engine.load(spec).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ModelFormatError);
    expect((failure as ModelFormatError).message).toMatch(/VAE decoder|vae_decoder/i);
    expect((failure as ModelFormatError).message).toContain(`The stored copy of ${DECODER} was discarded`);
    expect(decoderGets()).toBe(1);
    expect((await store.list()).find((m) => m.id === spec.urls.fp32)?.complete).toBe(false);

    server.setFile(DECODER, new Uint8Array(readFileSync(FIXTURE + DECODER)));
    const loaded = await engine.load(spec);
    expect(loaded.name).toBeTruthy();
    expect(decoderGets()).toBe(2); // fetched again, not the stored broken copy
    const image = await engine.generate({ prompt: 'a red circle', seed: 1, numInferenceSteps: 2, scheduler: 'ddim', width: 128, height: 128 });
    expect(image.width).toBe(128);
    await engine.dispose();
  });
});
