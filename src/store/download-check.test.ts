/**
 * WeightStore.download reads each part's graph before its weights: the external-data files it
 * names (any names, several files) are what gets downloaded, and the `check` hook sees every file
 * with its size and the stored graphs before any weight moves; a refusal leaves a partial model that
 * a later download continues. fake-indexeddb + the fault server over fixtures/tiny-sd-fp32.
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultServer, type FaultServer } from '../../e2e/lib/fault-server.js';
import { ModelTooLargeError } from '../core/errors.js';
import { graphProto, modelProto, tensorProto } from '../core/onnx/onnx-write.js';
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
    expect(Buffer.from(seen!.unet).equals(readFileSync(`${FIXTURE}unet/model.onnx`))).toBe(true);
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

describe('external-data files named by the graph', () => {
  const data = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
  /** A unet/model.onnx whose two weights live in "unet.onnx_data" (16 bytes) and "shards/part-2.bin" (8 bytes). */
  const unet = modelProto(
    graphProto({
      nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['y'] }],
      initializers: [
        tensorProto({ name: 'a', dims: [4], external: { location: 'unet.onnx_data', offset: 0, length: 16 } }),
        tensorProto({ name: 'b', dims: [2], external: { location: './shards/part-2.bin', offset: 0, length: 8 } }),
      ],
      outputs: [{ name: 'y', dims: [4] }],
    }),
  );

  it('stores every file the graph names, whatever its name, and not the unused layout default', async () => {
    const sharded = await startFaultServer({
      root: FIXTURE,
      files: { 'unet/model.onnx': unet, 'unet/unet.onnx_data': data(16, 1), 'unet/shards/part-2.bin': data(8, 2) },
    });
    try {
      const store = new WeightStore({ dbName: 'check-2', chunkSize: 1 << 20, storage: null, locks: null });
      const url = `${sharded.url}s1/`;
      let planned: ReadonlyMap<string, number | null> = new Map();
      const model = await store.download(url, { check: (plan) => void (planned = new Map(plan.files)) });
      expect(planned.get('unet/unet.onnx_data')).toBe(16);
      expect(planned.get('unet/shards/part-2.bin')).toBe(8);
      const paths = model.files.map((f) => f.path);
      expect(paths).toEqual(expect.arrayContaining(['unet/model.onnx', 'unet/unet.onnx_data', 'unet/shards/part-2.bin']));
      expect(paths).not.toContain('unet/weights.pb'); // on the server, but this graph does not use it
      expect(sharded.requests('unet/weights.pb', 's1').filter((r) => r.method === 'GET')).toEqual([]);
      const source = await store.open(url);
      expect([...(await source.readBytes('unet/shards/part-2.bin'))]).toEqual([...data(8, 2)]);
      expect(model.totalBytes).toBe(model.sizeBytes);
    } finally {
      await sharded.close();
    }
  });

  it('refuses a named file that is missing or shorter than the graph reads, before any weights move', async () => {
    const short = await startFaultServer({
      root: FIXTURE,
      files: { 'unet/model.onnx': unet, 'unet/unet.onnx_data': data(16, 1), 'unet/shards/part-2.bin': data(4, 2) },
    });
    try {
      const store = new WeightStore({ dbName: 'check-3', chunkSize: 1 << 20, storage: null, locks: null });
      const error = await store.download(`${short.url}s2/`).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(error?.name).toBe('ModelFormatError');
      expect(error?.message).toBe(
        `s2/unet/shards/part-2.bin is 4 B but unet/model.onnx reads 8 B from it: the server's copy is incomplete or from another export. Upload the folder again.`,
      );
      // A stand-in this small (<= 1 KiB) is fetched once to see what it is; the weights never move.
      expect(short.requests('unet/shards/part-2.bin', 's2').filter((r) => r.method === 'GET')).toHaveLength(1);
      expect(short.requests('unet/unet.onnx_data', 's2').filter((r) => r.method === 'GET')).toEqual([]);

      // A git-lfs pointer where the weights should be is named as one (not as an incomplete copy).
      short.fault('unet/shards/part-2.bin', { body: 'version https://git-lfs.github.com/spec/v1\noid sha256:4c3a\nsize 8\n' });
      const pointer = await store.download(`${short.url}s4/`).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(pointer?.name).toBe('ModelFormatError');
      expect(pointer?.message).toContain('git-lfs pointer');

      short.fault('unet/shards/part-2.bin', { status: 404 });
      const missing = await store.download(`${short.url}s3/`).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(missing?.name).toBe('ModelFileMissingError');
      expect(missing?.message).toContain('unet/shards/part-2.bin');
    } finally {
      await short.close();
    }
  });
});
