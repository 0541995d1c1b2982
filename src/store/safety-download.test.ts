/**
 * The safety checker downloads lazily: a folder whose model_index.json lists safety_checker/ and
 * feature_extractor/ (fixtures/safety over the tiny fixture, served by e2e/lib's fault server) stores
 * them only when the caller keeps the checker on; a model stored without them fetches just them (nothing
 * else again) once it is turned on.
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultServer, type FaultServer } from '../../e2e/lib/fault-server.js';
import { WeightStore } from './weight-store.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/tiny-sd-fp32/', import.meta.url));
const SAFETY = fileURLToPath(new URL('../../fixtures/safety/', import.meta.url));
const OVERLAY = ['model_index.json', 'safety_checker/model.onnx', 'feature_extractor/preprocessor_config.json'];

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer({ root: FIXTURE, files: Object.fromEntries(OVERLAY.map((path) => [path, new Uint8Array(readFileSync(SAFETY + path))])) });
});
afterAll(() => server.close());

const gets = (path: string) => server.requests(path, 'safe').filter((r) => r.method === 'GET').length;

describe('safety checker files in the weight store', () => {
  it('are fetched only when the checker is kept on, and later without fetching anything else again', async () => {
    const store = new WeightStore({ dbName: 'safety-download', chunkSize: 100_000, storage: null, locks: null, progressIntervalMs: 0 });
    const url = `${server.url}safe/`;
    const off = await store.ensure(url);
    expect(await off.has('safety_checker/model.onnx')).toBe(false);
    expect(await off.has('feature_extractor/preprocessor_config.json')).toBe(false);
    expect(gets('safety_checker/model.onnx')).toBe(0);
    const weights = gets('unet/weights.pb');
    expect(weights).toBe(1);

    const on = await store.ensure(url, { safetyChecker: true });
    expect(await on.has('safety_checker/model.onnx')).toBe(true);
    expect(await on.readBytes('safety_checker/model.onnx')).toEqual(new Uint8Array(readFileSync(`${SAFETY}safety_checker/model.onnx`)));
    expect(await on.has('feature_extractor/preprocessor_config.json')).toBe(true);
    expect(gets('unet/weights.pb')).toBe(weights);
    expect((await store.list()).find((m) => m.url === url)?.complete).toBe(true);

    await store.ensure(url, { safetyChecker: true }); // complete now: nothing moves
    expect(gets('safety_checker/model.onnx')).toBe(1);
  });
});
