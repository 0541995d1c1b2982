/**
 * The weight store under the faults of issue 25: a file replaced on the server under the same
 * validators before a resume (item 2), a failed check that must not leave the store stuck (item 3),
 * compressed text from another origin (item 4), and a tokenizer/ with only tokenizer.json (item 13).
 * fake-indexeddb, Node's fetch and the fault server (e2e/lib) over fixtures/tiny-sd-fp32.
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FaultServer } from '../../e2e/lib/fault-server.js';
import { makeManifest } from '../../tools/make-manifest.js';
import { sha256Hex as sha, TINY_SD_FP32 as FIXTURE, TINY_SD_WEIGHTS as WEIGHTS, tinySdFile as fixture } from '../testing/tiny-sd-files.js';
import { weightStoreTestbed } from '../testing/weight-store-testbed.js';
import { CancelledError, IntegrityError, ModelFileMissingError, ModelFormatError } from '../core/errors.js';
import { ClipTokenizer } from '../engine/text/tokenizer.js';
import { RESUME_OVERLAP } from './file-download.js';
import type { FetchLike } from './http.js';
import type { StoreProgress } from './progress.js';
import type { WeightStore } from './weight-store.js';

const TEXT_FILES = [
  'model_index.json',
  'scheduler/scheduler_config.json',
  'tokenizer/merges.txt',
  'tokenizer/tokenizer.json',
  'tokenizer/tokenizer_config.json',
  'tokenizer/vocab.json',
];

let server: FaultServer;
const fresh = weightStoreTestbed('r', 'recovery-', (started) => {
  server = started;
});

const gets = (path: string, label: string) => server.requests(path, label).filter((r) => r.method === 'GET');

async function storedBytes(store: WeightStore, url: string, path: string): Promise<Uint8Array> {
  return (await store.open(url, { offline: true })).readBytes(path);
}

describe('a resume re-reads the bytes before the resume point (issue 25, item 2)', () => {
  /** Another export of the weights: same size, different bytes throughout (every 1000th byte flipped). */
  function replaced(): Uint8Array {
    const bytes = fixture(WEIGHTS).slice();
    for (let i = 0; i < bytes.length; i += 1000) bytes[i]! ^= 0x5a;
    return bytes;
  }
  // Size+mtime ETags after an mtime-preserving copy: the new file carries the old validators.
  const same = { etag: '"4390912-1700000000000"', lastModified: 'Tue, 24 Nov 2026 10:00:00 GMT' };

  it('a file replaced between two sessions under the same ETag and Last-Modified is stored whole from the new version', async () => {
    const { url, label, make } = fresh();
    server.fault(`${label}/${WEIGHTS}`, same);
    const controller = new AbortController();
    const first = make().download(url, {
      signal: controller.signal,
      onProgress: (p) => p.stage === 'download' && p.file === WEIGHTS && p.fileLoaded >= 1_150_000 && controller.abort(),
    });
    await expect(first).rejects.toThrow(CancelledError);
    const part = (await make().list())[0]!.files.find((f) => f.path === WEIGHTS)!;
    expect(part.complete).toBe(false);
    const v2 = replaced();
    server.fault(`${label}/${WEIGHTS}`, { ...same, body: v2 });
    const before = gets(WEIGHTS, label).length;

    const store = make();
    const model = await store.download(url);
    // The resume asks for the last 64 KiB stored as well, finds them changed, and starts again.
    expect(
      gets(WEIGHTS, label)
        .slice(before)
        .map((r) => [r.range, r.ifRange, r.status]),
    ).toEqual([
      [`bytes=${part.storedBytes - RESUME_OVERLAP}-`, same.etag, 206],
      [null, null, 200],
    ]);
    expect(model.files.find((f) => f.path === WEIGHTS)?.sha256).toBe(sha(v2));
    expect(sha(await storedBytes(store, url, WEIGHTS))).toBe(sha(v2));
  });

  it('a file replaced during a session (connection cut, same validators) is restarted, not continued', async () => {
    const { url, label, store } = fresh();
    server.fault(`${label}/${WEIGHTS}`, { ...same, cutAt: [1_500_000] });
    const v2 = replaced();
    const onProgress = (p: StoreProgress) => {
      if (p.stage === 'retry' && p.file === WEIGHTS) server.fault(`${label}/${WEIGHTS}`, { ...same, body: v2 });
    };
    const model = await store.download(url, { onProgress });
    expect(gets(WEIGHTS, label).map((r) => [r.status, r.range !== null])).toEqual([
      [200, false],
      [206, true],
      [200, false],
    ]);
    expect(model.files.find((f) => f.path === WEIGHTS)?.sha256).toBe(sha(v2));
  });
});

describe('a failed check does not leave the store stuck (issue 25, item 3)', () => {
  it('a manifest with a wrong digest fails with IntegrityError; once the server has a good manifest, the next download succeeds', async () => {
    const { url, label, store } = fresh();
    const good = await makeManifest(FIXTURE);
    const bad = structuredClone(good);
    bad.files.find((f) => f.path === 'scheduler/scheduler_config.json')!.sha256 = 'a'.repeat(64);
    server.fault(`${label}/manifest.json`, { body: JSON.stringify(bad) });
    await expect(store.download(url)).rejects.toThrow(IntegrityError);
    server.fault(`${label}/manifest.json`, { body: JSON.stringify(good) });
    const model = await store.download(url);
    expect(model.complete).toBe(true);
    expect(gets('manifest.json', label)).toHaveLength(2);
  });

  it('a graph served 1000 bytes short (with a matching Content-Length) is refused; once the server is fixed, downloading again fetches it again', async () => {
    const { url, label, store } = fresh();
    const graph = 'unet/model.onnx';
    server.fault(`${label}/${graph}`, { body: fixture(graph).subarray(0, fixture(graph).length - 1000) });
    await expect(store.download(url)).rejects.toThrow(ModelFormatError);
    server.clearFaults();
    const model = await store.download(url);
    expect(model.complete).toBe(true);
    expect(gets(graph, label)).toHaveLength(2);
    expect(sha(await storedBytes(store, url, graph))).toBe(sha(fixture(graph)));
  });

  it('weights served as a 500-byte stand-in are refused as shorter than the graph reads; once the server is fixed, downloading again fetches them', async () => {
    const { url, label, store } = fresh();
    server.fault(`${label}/${WEIGHTS}`, { body: fixture(WEIGHTS).subarray(0, 500) });
    await expect(store.download(url)).rejects.toThrow(/unet\/weights\.pb is 500 B but unet\/model\.onnx reads/);
    server.clearFaults();
    const model = await store.download(url);
    expect(model.complete).toBe(true);
    expect(sha(await storedBytes(store, url, WEIGHTS))).toBe(sha(fixture(WEIGHTS)));
  });

  it.each(['model_index.json', 'tokenizer/vocab.json', 'scheduler/scheduler_config.json'])(
    '%s served 100 bytes short (with a matching Content-Length) is refused as not JSON; once the server is fixed, downloading again fetches it again',
    async (path) => {
      const { url, label, store } = fresh();
      server.fault(`${label}/${path}`, { body: fixture(path).subarray(0, fixture(path).length - 100) });
      const attempt = store.download(url);
      await expect(attempt).rejects.toThrow(ModelFormatError);
      await expect(attempt).rejects.toThrow(new RegExp(`${path.replace(/[./]/g, '\\$&')} is not (valid )?JSON`));
      server.clearFaults();
      const model = await store.download(url);
      expect(model.complete).toBe(true);
      expect(gets(path, label)).toHaveLength(2);
      expect(sha(await storedBytes(store, url, path))).toBe(sha(fixture(path)));
    },
  );

  it('a stored file that fails verify() is discarded, so downloading again fetches it afresh', async () => {
    const { url, label, dbName, store } = fresh();
    const model = await store.download(url);
    // The bytes and the chunk digests agree, but the whole file is another one than the one recorded.
    const { ChunkStore } = await import('./chunk-store.js');
    const chunks = new ChunkStore(dbName);
    const record = (await chunks.getFile(model.id, 'tokenizer/vocab.json'))!;
    await chunks.putFile(model.id, { ...record, sha256: 'b'.repeat(64) });
    await expect(store.verify(model.id, { offline: true })).rejects.toThrow(/downloading again fetches it afresh/);
    expect((await store.get(model.id))!.complete).toBe(false);
    await store.download(url);
    expect(gets('tokenizer/vocab.json', label)).toHaveLength(2);
    await expect(store.verify(model.id, { offline: true })).resolves.toEqual({ repaired: [] });
  });
});

/** What a page sees of a response from another origin whose server exposes no Content-Encoding: the header is hidden, the body decoded. */
const crossOriginFetch: FetchLike = async (input, init) => {
  const response = await fetch(input, init);
  const headers = new Headers(response.headers);
  headers.delete('content-encoding');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
};

describe('compressed text from another origin (issue 25, item 4)', () => {
  it.each([
    ['without a manifest', false],
    ['with a manifest', true],
  ])('JSON and text files served gzip-compressed, Content-Encoding hidden: stored byte for byte (%s)', async (_, withManifest) => {
    const { url, label, store } = fresh({ fetch: crossOriginFetch });
    for (const path of TEXT_FILES) server.fault(`${label}/${path}`, { gzip: true });
    if (withManifest) server.fault(`${label}/manifest.json`, { body: JSON.stringify(await makeManifest(FIXTURE)) });
    const model = await store.download(url);
    expect(model.complete).toBe(true);
    for (const path of TEXT_FILES) {
      expect(
        gets(path, label).map((r) => r.status),
        path,
      ).toEqual([200]);
      expect(gets(path, label)[0]!.bytesSent, path).toBeLessThan(fixture(path).length); // compressed on the wire
      expect(
        model.files.find((f) => f.path === path),
        path,
      ).toMatchObject({ size: fixture(path).length, sha256: sha(fixture(path)) });
    }
  });
});

describe('a tokenizer/ saved by transformers 5: tokenizer.json + tokenizer_config.json only (issue 25, item 13)', () => {
  const refs = JSON.parse(readFileSync(new URL('../../fixtures/refs/tokens.json', import.meta.url), 'utf8')) as { prompt: string; input_ids: number[] }[];

  it('is stored, and the engine tokenizes from the stored copy as diffusers does', async () => {
    const { url, label, store } = fresh();
    for (const path of ['tokenizer/vocab.json', 'tokenizer/merges.txt']) server.fault(`${label}/${path}`, { status: 404 });
    const source = await store.ensure(url);
    expect(
      source.files
        .map((f) => f.path)
        .filter((p) => p.startsWith('tokenizer/'))
        .sort(),
    ).toEqual(['tokenizer/tokenizer.json', 'tokenizer/tokenizer_config.json']);
    const tokenizer = await ClipTokenizer.fromSource(source);
    for (const ref of refs) expect(Array.from(tokenizer.tokenize(ref.prompt).inputIds), ref.prompt).toEqual(ref.input_ids);
  });

  it('the same with a manifest that lists only tokenizer.json', async () => {
    const { url, label, store } = fresh();
    const manifest = await makeManifest(FIXTURE);
    manifest.files = manifest.files.filter((f) => f.path !== 'tokenizer/vocab.json' && f.path !== 'tokenizer/merges.txt');
    server.fault(`${label}/manifest.json`, { body: JSON.stringify(manifest) });
    const model = await store.download(url);
    expect(model.files.map((f) => f.path)).toContain('tokenizer/tokenizer.json');
    expect(model.files.map((f) => f.path)).not.toContain('tokenizer/vocab.json');
  });

  it('a tokenizer/ with neither form is refused before the weights move, naming both', async () => {
    const { url, label, store } = fresh();
    for (const path of ['tokenizer/vocab.json', 'tokenizer/tokenizer.json']) server.fault(`${label}/${path}`, { status: 404 });
    const attempt = store.download(url);
    await expect(attempt).rejects.toThrow(ModelFileMissingError);
    await expect(attempt).rejects.toThrow(/tokenizer\/tokenizer\.json.*tokenizer\/vocab\.json \+ tokenizer\/merges\.txt/);
    expect(gets(WEIGHTS, label)).toHaveLength(0);
  });
});
