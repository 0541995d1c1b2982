/**
 * The weight store in real Chromium: the store runs in a module worker of a page served by Vite;
 * the model (fixtures/tiny-sd-fp32) comes from a separate fault-injecting server on another
 * origin (so CORS applies), which logs every request's Range header.
 *
 * Run: npx vitest run -c vitest.e2e.config.ts e2e/store.e2e.ts
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium } from './lib/browser.js';
import { startFaultServer, type FaultServer } from './lib/fault-server.js';
import { openStorePage, REPO_ROOT, startStorePageServer, storeCall, storeError, type PageServer } from './store-harness.js';
import { RESUME_OVERLAP } from '../src/store/file-download.js';
import type { StoredModel } from '../src/store/index.js';
import type { FetchEntry } from '../src/testing/counting-fetch.js';
import { TINY_SD_FILES as FILES } from '../src/testing/tiny-sd-files.js';

const FIXTURE = `${REPO_ROOT}fixtures/tiny-sd-fp32/`;
const CHUNK = 100_000;
const WEIGHTS = 'unet/weights.pb';
const fixture = (path: string) => readFileSync(FIXTURE + path);
const EXPECTED = Object.fromEntries(
  FILES.map((path) => [path, { size: fixture(path).length, sha256: createHash('sha256').update(fixture(path)).digest('hex') }]),
);
const WEIGHTS_SIZE = EXPECTED[WEIGHTS]!.size;

type Read = { files: Record<string, { size: number; sha256: string }>; repairs: number[] };

let browser: Browser;
let context: BrowserContext;
let pages: PageServer;
let server: FaultServer;
let counter = 0;

beforeAll(async () => {
  [browser, pages, server] = await Promise.all([launchChromium({ webgpu: false }), startStorePageServer(), startFaultServer({ root: FIXTURE })]);
  context = await browser.newContext();
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([pages?.close(), server?.close()]);
});
beforeEach(() => server.clearFaults());

/** Starts downloading m in a new tab and closes the tab once more than 1.6 MB of the UNet weights have come in. */
async function closeTabMidDownload(m: ReturnType<typeof fresh>): Promise<void> {
  const first = await openStorePage(context, pages);
  void first.evaluate((args) => window.storeCall('download', args), m).catch(() => {}); // dies with the tab
  await first.waitForFunction(
    (path) => {
      const p = window.storeProgress as { stage: string; file: string; fileLoaded: number } | null;
      return p?.stage === 'download' && p.file === path && p.fileLoaded > 1_600_000;
    },
    WEIGHTS,
    { polling: 20 },
  );
  await first.close();
}

function fresh() {
  const label = `b${++counter}`;
  return { label, url: `${server.url}${label}/`, dbName: `e2e-${counter}`, chunkSize: CHUNK };
}

/** The Range of a resume at byte `held`: it asks again for up to RESUME_OVERLAP bytes before it, to compare with those held. */
const resumeAt = (held: number) => `bytes=${held - Math.min(RESUME_OVERLAP, held)}-`;
const sizesAndDigests = (files: Read['files']) => Object.fromEntries(Object.entries(files).map(([path, f]) => [path, { size: f.size, sha256: f.sha256 }]));
const gets = (path: string, label: string) => server.requests(path, label).filter((r) => r.method === 'GET');

describe('weight store in Chromium (module worker, IndexedDB)', () => {
  it('downloads through 10 connection cuts: each retry continues after the last byte received, bytes identical', async () => {
    const page = await openStorePage(context, pages);
    const m = fresh();
    const cuts = [150_000, 333_333, 700_001, 1_000_000, 1_500_000, 2_000_017, 2_600_000, 3_100_000, 3_700_000, 4_390_000];
    server.fault(`${m.label}/${WEIGHTS}`, { cutAt: cuts });

    const { model, stages } = await storeCall<{ model: StoredModel; stages: Record<string, number> }>(page, 'download', m);
    expect(model.complete).toBe(true);
    expect(stages.retry).toBe(10);

    // Server side: 11 GETs, the first without Range, each later one starting at or after the
    // previous start and at or before the cut. (Chromium drops body bytes still queued in the
    // response stream when the connection breaks, so a retry may start before the cut offset.)
    const requests = gets(WEIGHTS, m.label);
    expect(requests.map((r) => r.cut)).toEqual([...cuts.map(() => true), false]);
    expect(requests[0]!.range).toBeNull();
    requests.slice(1).forEach((r, i) => {
      expect(r.range).toBe(r.start === 0 ? null : `bytes=${r.start}-`); // nothing received yet: no Range
      expect(r.start).toBeGreaterThanOrEqual(requests[i]!.start);
      expect(r.start).toBeLessThanOrEqual(cuts[i]!);
    });
    // Client side: every Range starts RESUME_OVERLAP bytes before where the bytes delivered to the store ended.
    const log = (await storeCall<FetchEntry[]>(page, 'fetchLog')).filter((e) => e.url.endsWith(`${m.label}/${WEIGHTS}`) && e.method === 'GET');
    let received = 0;
    for (const [i, entry] of log.entries()) {
      expect(entry.range, `request ${i}`).toBe(received === 0 ? null : resumeAt(received));
      received = Math.max(received, received - Math.min(RESUME_OVERLAP, received) + entry.delivered);
    }
    expect(received).toBe(WEIGHTS_SIZE);
    console.log(
      `[store.e2e] Range starts after the cuts: ${requests
        .slice(1)
        .map((r) => r.start)
        .join(', ')}; bytes sent twice (lost in flight): ${requests.reduce((s, r) => s + r.bytesSent, 0) - WEIGHTS_SIZE}`,
    );

    const read = await storeCall<Read>(page, 'read', { ...m, id: model.id, paths: FILES });
    expect(sizesAndDigests(read.files)).toEqual(EXPECTED);
    await page.close();
  });

  it('restarts a file when the server has no Range support (200 instead of 206)', async () => {
    const page = await openStorePage(context, pages);
    const m = fresh();
    server.fault(`${m.label}/${WEIGHTS}`, { noRange: true, cutAt: [2_000_000] });
    const { model } = await storeCall<{ model: StoredModel }>(page, 'download', m);
    const requests = gets(WEIGHTS, m.label);
    expect(requests.map((r) => [r.status, r.bytesSent])).toEqual([
      [200, 2_000_000],
      [200, WEIGHTS_SIZE],
    ]);
    // It asks to resume after the bytes that reached the store; the server sends everything anyway. (Under
    // load Chromium may lose every byte of the cut response in flight: then nothing was stored to resume from.)
    const client = (await storeCall<FetchEntry[]>(page, 'fetchLog')).filter((e) => e.url.endsWith(`${m.label}/${WEIGHTS}`) && e.method === 'GET');
    expect(client.map((e) => e.status)).toEqual([200, 200]);
    expect(requests[1]!.range).toBe(client[0]!.delivered > 0 ? resumeAt(client[0]!.delivered) : null);
    const read = await storeCall<Read>(page, 'read', { ...m, id: model.id, paths: [WEIGHTS] });
    expect(read.files[WEIGHTS]).toMatchObject(EXPECTED[WEIGHTS]!);
    await page.close();
  });

  it('says what went wrong: 404, a non-ONNX file, a git-lfs pointer, a server without CORS', async () => {
    const page = await openStorePage(context, pages);

    const missing = fresh();
    server.fault(`${missing.label}/model_index.json`, { status: 404 });
    expect(await storeError(page, 'download', missing)).toEqual({
      name: 'ModelFileMissingError',
      message: expect.stringMatching(/model_index\.json is missing: .*answered 404/),
    });

    const missingPart = fresh();
    server.fault(`${missingPart.label}/unet/model.onnx`, { status: 404 });
    expect(await storeError(page, 'download', missingPart)).toMatchObject({
      name: 'ModelFileMissingError',
      message: expect.stringContaining('unet/model.onnx is missing'),
    });
    expect(gets(WEIGHTS, missingPart.label)).toHaveLength(0); // failed while planning, before the big file

    const html = fresh();
    server.fault(`${html.label}/unet/model.onnx`, { body: '<!doctype html><title>Sign in</title>', contentType: 'application/octet-stream' });
    expect(await storeError(page, 'download', html)).toMatchObject({
      name: 'ModelFormatError',
      message: expect.stringContaining('HTML page instead of unet/model.onnx'),
    });

    const garbage = fresh();
    server.fault(`${garbage.label}/text_encoder/model.onnx`, { body: new Uint8Array(5000).fill(0xff) });
    expect(await storeError(page, 'download', garbage)).toMatchObject({
      name: 'ModelFormatError',
      message: expect.stringContaining('is not an ONNX model (it starts with bytes ff ff ff ff'),
    });

    const lfs = fresh();
    server.fault(`${lfs.label}/${WEIGHTS}`, { body: 'version https://git-lfs.github.com/spec/v1\noid sha256:9f1c\nsize 4390912\n' });
    expect(await storeError(page, 'download', lfs)).toMatchObject({ name: 'ModelFormatError', message: expect.stringContaining('git-lfs pointer') });

    const noCors = await startFaultServer({ root: FIXTURE, cors: false });
    try {
      const error = await storeError(page, 'download', { ...fresh(), url: `${noCors.url}x/` });
      expect(error).toMatchObject({ name: 'NetworkError', message: expect.stringContaining('Access-Control-Allow-Origin') });
    } finally {
      await noCors.close();
    }
    await page.close();
  });

  it('continues in a new tab from the last stored chunk after the tab was closed mid-download', async () => {
    const m = fresh();
    server.fault(`${m.label}/${WEIGHTS}`, { bytesPerSecond: 1_500_000 });
    await closeTabMidDownload(m);
    server.clearFaults();

    const second = await openStorePage(context, pages);
    const [partial] = await storeCall<StoredModel[]>(second, 'list', m);
    const stored = partial!.files.find((f) => f.path === WEIGHTS)!;
    expect(partial!.complete).toBe(false);
    expect(stored.complete).toBe(false);
    expect(stored.storedBytes).toBeGreaterThanOrEqual(1_500_000);
    expect(stored.storedBytes % CHUNK).toBe(0);
    const doneBefore = partial!.files.filter((f) => f.complete).map((f) => f.path);
    const seen = server.log.length;

    const { model } = await storeCall<{ model: StoredModel }>(second, 'download', m);
    const later = server.log.slice(seen).filter((r) => r.label === m.label && r.method === 'GET');
    expect(later.find((r) => r.path === WEIGHTS)?.range).toBe(resumeAt(stored.storedBytes));
    for (const path of doneBefore)
      expect(
        later.map((r) => r.path),
        path,
      ).not.toContain(path);
    const read = await storeCall<Read>(second, 'read', { ...m, id: model.id, paths: FILES });
    expect(sizesAndDigests(read.files)).toEqual(EXPECTED);
    await second.close();
  });

  it('a file changed on the server between two tabs (Last-Modified, no ETag) is stored whole from its new version, never mixed', async () => {
    const m = fresh();
    const v1 = { etag: false as const, lastModified: 'Tue, 24 Nov 2026 10:00:00 GMT' };
    server.fault(`${m.label}/${WEIGHTS}`, { ...v1, bytesPerSecond: 1_500_000 });
    await closeTabMidDownload(m);
    // The new version differs inside the part already stored (byte 500 000) and after it.
    const v2 = fixture(WEIGHTS);
    for (const at of [500_000, 3_000_000]) v2[at]! ^= 0xff;
    server.fault(`${m.label}/${WEIGHTS}`, { body: v2, etag: false, lastModified: 'Wed, 25 Nov 2026 10:00:00 GMT' });

    const second = await openStorePage(context, pages);
    const [partial] = await storeCall<StoredModel[]>(second, 'list', m);
    const stored = partial!.files.find((f) => f.path === WEIGHTS)!;
    expect(stored).toMatchObject({ complete: false });
    expect(stored.storedBytes).toBeGreaterThanOrEqual(1_500_000);
    const seen = server.log.length;
    const { model } = await storeCall<{ model: StoredModel }>(second, 'download', m);
    const later = server.log.slice(seen).filter((r) => r.label === m.label && r.method === 'GET' && r.path === WEIGHTS);
    // The resume names the stored version; the server answers with the whole new file.
    expect(later.map((r) => [r.range, r.ifRange, r.status])).toEqual([[resumeAt(stored.storedBytes), v1.lastModified, 200]]);
    const read = await storeCall<Read>(second, 'read', { ...m, id: model.id, paths: [WEIGHTS] });
    expect(read.files[WEIGHTS]).toMatchObject({ size: WEIGHTS_SIZE, sha256: createHash('sha256').update(v2).digest('hex') });
    await second.close();
  });

  it('JSON and text gzip-compressed by a server on another origin that does not expose Content-Encoding: stored byte for byte', async () => {
    const page = await openStorePage(context, pages);
    const m = fresh();
    const text = FILES.filter((path) => /\.(json|txt)$/.test(path));
    for (const path of text) server.fault(`${m.label}/${path}`, { gzip: true });
    const { model } = await storeCall<{ model: StoredModel }>(page, 'download', m);
    expect(model.complete).toBe(true);
    for (const path of text) expect(gets(path, m.label)[0]!.bytesSent, path).toBeLessThan(EXPECTED[path]!.size); // compressed on the wire
    const read = await storeCall<Read>(page, 'read', { ...m, id: model.id, paths: FILES });
    expect(sizesAndDigests(read.files)).toEqual(EXPECTED);
    await page.close();
  });

  it('finds corrupted and missing chunks when loading and re-fetches just those by Range', async () => {
    const page = await openStorePage(context, pages);
    const m = fresh();
    const { model } = await storeCall<{ model: StoredModel }>(page, 'download', m);
    await storeCall(page, 'corrupt', { dbName: m.dbName, id: model.id, path: WEIGHTS, index: 4, mode: 'junk' });
    await storeCall(page, 'corrupt', { dbName: m.dbName, id: model.id, path: WEIGHTS, index: 30, mode: 'delete' });
    const seen = server.log.length;

    const offline = await storeError(page, 'read', { ...m, id: model.id, paths: [WEIGHTS], offline: true });
    expect(offline).toMatchObject({ name: 'IntegrityError', message: expect.stringContaining('Chunk 4 of unet/weights.pb') });
    expect(server.log.length).toBe(seen);

    const repaired = await storeCall<Read>(page, 'read', { ...m, id: model.id, paths: [WEIGHTS] });
    expect(repaired.repairs).toEqual([4, 30]);
    expect(repaired.files[WEIGHTS]).toMatchObject(EXPECTED[WEIGHTS]!);
    expect(
      server.log
        .slice(seen)
        .filter((r) => r.method === 'GET')
        .map((r) => `${r.path} ${r.range} ${r.status}`),
    ).toEqual([`${WEIGHTS} bytes=400000-499999 206`, `${WEIGHTS} bytes=3000000-3099999 206`]);
    const again = await storeCall<Read>(page, 'read', { ...m, id: model.id, paths: [WEIGHTS], offline: true });
    expect(again.repairs).toEqual([]);
    await page.close();
  });

  it('a second visit with the server stopped loads everything from IndexedDB alone', async () => {
    const m = fresh();
    const first = await openStorePage(context, pages);
    await storeCall(first, 'download', m);
    await first.close();
    await server.close();

    const second = await openStorePage(context, pages);
    const result = await storeCall<{ name: string; stages: string[]; files: Read['files'] }>(second, 'ensureOffline', { ...m, paths: FILES });
    expect(result.stages).toEqual(['done']);
    expect(result.name).toBe(m.label);
    expect(sizesAndDigests(result.files)).toEqual(EXPECTED);
    expect((await storeCall<FetchEntry[]>(second, 'fetchLog')).length).toBe(0);
    const [stored] = await storeCall<StoredModel[]>(second, 'list', m);
    expect(stored).toMatchObject({ complete: true, sizeBytes: Object.values(EXPECTED).reduce((s, f) => s + f.size, 0) });
    await second.close();
  });
});
