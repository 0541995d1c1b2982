/**
 * WeightStore.download's `check` hook: it sees every file with its size and the stored graphs
 * before any weight moves; a refusal leaves a partial model that a later download continues.
 * fake-indexeddb + the fault server over fixtures/tiny-sd-fp32.
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultServer, type FaultServer } from '../../e2e/lib/fault-server.js';
import { ModelTooLargeError } from '../core/errors.js';
import { WeightStore, type DownloadPlan } from './weight-store.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/tiny-sd-fp32/', import.meta.url));
const size = (path: string) => readFileSync(FIXTURE + path).length;
let server: FaultServer;

beforeAll(async () => {
  server = await startFaultServer({ root: FIXTURE });
});
afterAll(() => server.close());

describe('WeightStore.download check', () => {
  it('sees every file and size and the stored graphs before the weights; a refusal stops there and a later download continues', async () => {
    const store = new WeightStore({ dbName: 'check-1', chunkSize: 1 << 20, storage: null, locks: null });
    const url = `${server.url}c1/`;
    let seen: { files: [string, number | null][]; unet: Uint8Array } | null = null;
    const refuse = async (plan: DownloadPlan) => {
      seen = { files: [...plan.files], unet: await plan.read('unet/model.onnx') };
      throw new ModelTooLargeError('too large for this test');
    };
    await expect(store.download(url, { check: refuse })).rejects.toThrow(ModelTooLargeError);
    expect(new Map(seen!.files).get('unet/weights.pb')).toBe(size('unet/weights.pb'));
    expect(new Map(seen!.files).get('text_encoder/model.onnx')).toBe(size('text_encoder/model.onnx'));
    expect(Buffer.from(seen!.unet).equals(readFileSync(FIXTURE + 'unet/model.onnx'))).toBe(true);
    expect(server.requests('unet/weights.pb', 'c1').filter((r) => r.method === 'GET')).toEqual([]);
    const partial = (await store.list()).find((m) => m.id === url)!;
    expect(partial.complete).toBe(false);

    // Accepted: the graphs are not fetched again, the rest is, and a complete model is checked again on the next visit.
    const checks: string[] = [];
    await store.download(url, { check: (plan) => void checks.push(plan.name) });
    expect(server.requests('unet/model.onnx', 'c1').filter((r) => r.method === 'GET')).toHaveLength(1);
    expect(server.requests('unet/weights.pb', 'c1').filter((r) => r.method === 'GET').length).toBeGreaterThan(0);
    await expect(store.download(url, { check: refuse })).rejects.toThrow('too large for this test');
    expect(checks).toEqual(['c1']);
    expect((await store.get(url))!.complete).toBe(true);
  });
});
