/**
 * WeightStore end to end in Node: fake-indexeddb for IndexedDB, Node's fetch, and the
 * fault-injecting server from e2e/lib serving the tiny fixture model. Chunks are 100 000 bytes
 * (not a multiple of 64, so the saved SHA-256 state carries a partial block across chunks).
 */
import 'fake-indexeddb/auto';
import { createStore, del, keys } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { CancelledError, IntegrityError, ModelFileMissingError, ModelFormatError, NetworkError, QuotaExceededError } from '../core/errors.js';
import type { FaultServer } from '../../e2e/lib/fault-server.js';
import { makeManifest } from '../../tools/make-manifest.js';
import {
  sha256Hex as sha,
  TINY_SD_FP32 as FIXTURE,
  TINY_SD_WEIGHTS as WEIGHTS,
  tinySdFile as fixture,
  TINY_SD_FILES as MODEL_FILES,
} from '../testing/tiny-sd-files.js';
import { STORE_CHUNK as CHUNK, weightStoreTestbed } from '../testing/weight-store-testbed.js';
import { countingFetch, type FetchEntry } from '../testing/counting-fetch.js';
import { ChunkStore } from './chunk-store.js';
import { RESUME_OVERLAP } from './file-download.js';
import { HttpModelSource } from './http-model-source.js';
import { IdbModelSource } from './idb-model-source.js';
import type { StoreProgress } from './progress.js';
import { WeightStore } from './weight-store.js';

const WEIGHTS_SIZE = fixture(WEIGHTS).length; // 4 390 912
const MODEL_BYTES = MODEL_FILES.reduce((sum, path) => sum + fixture(path).length, 0);

let server: FaultServer;
/** A fresh model URL (label) and database per test. */
const fresh = weightStoreTestbed('m', 'store-test-', (started) => {
  server = started;
});

const gets = (path: string, label: string) => server.requests(path, label).filter((r) => r.method === 'GET');

/** Counted GET requests (HEAD probes left out), by file. */
function countingGets() {
  const log: FetchEntry[] = [];
  return { fetch: countingFetch(log), of: (path: string) => log.filter((entry) => entry.method !== 'HEAD' && entry.url.endsWith(path)) };
}

/** The Range of a resume at byte `held`: it asks again for up to RESUME_OVERLAP bytes before it, to compare with those held. */
const resumeAt = (held: number) => `bytes=${held - Math.min(RESUME_OVERLAP, held)}-`;

/** Each request after the first starts RESUME_OVERLAP bytes before where the bytes delivered so far end. */
function expectContinuous(entries: { range: string | null; delivered: number }[]) {
  let received = 0;
  for (const [i, entry] of entries.entries()) {
    expect(entry.range, `request ${i}`).toBe(received === 0 ? null : resumeAt(received));
    const start = received - Math.min(RESUME_OVERLAP, received);
    received = Math.max(received, start + entry.delivered);
  }
  return received;
}

async function expectIdentical(source: { readBytes(path: string): Promise<Uint8Array> }, paths = MODEL_FILES) {
  for (const path of paths) {
    const bytes = await source.readBytes(path);
    expect(bytes.length, path).toBe(fixture(path).length);
    expect(sha(bytes), path).toBe(sha(fixture(path)));
  }
}

describe('WeightStore.download', () => {
  it('stores every file of the folder byte for byte, with sizes, digests and progress', async () => {
    const { url, label, store } = fresh();
    const events: StoreProgress[] = [];
    const model = await store.download(url, { onProgress: (p) => events.push(p) });

    expect(model.complete).toBe(true);
    expect(model.sizeBytes).toBe(MODEL_BYTES);
    expect(model.totalBytes).toBe(MODEL_BYTES);
    expect(model.files.map((f) => f.path).sort()).toEqual(MODEL_FILES);
    for (const file of model.files) expect(file.sha256, file.path).toBe(sha(fixture(file.path)));
    // The optional file the fixture lacks was probed (HEAD 404) and skipped, never fetched.
    expect(gets('tokenizer/special_tokens_map.json', label)).toHaveLength(0);
    await expectIdentical(await store.open(model.id));

    const downloads = events.filter((e) => e.stage === 'download');
    const loaded = downloads.map((e) => e.loaded);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    for (const e of downloads.filter((e) => e.file !== 'model_index.json')) {
      expect(e.total).toBe(MODEL_BYTES); // known once model_index.json is read and HEAD requests answered
      expect(e.fileLoaded).toBeLessThanOrEqual(e.fileTotal);
      expect(e.bytesPerSecond).toBeGreaterThanOrEqual(0);
    }
    expect(loaded.at(-1)).toBe(MODEL_BYTES);
    expect(
      events
        .filter((e) => e.stage === 'verify')
        .map((e) => e.file)
        .sort(),
    ).toEqual(
      MODEL_FILES.filter((p) => p !== 'model_index.json' && p !== 'scheduler/scheduler_config.json' && p !== 'tokenizer/tokenizer_config.json')
        .concat(['model_index.json', 'scheduler/scheduler_config.json', 'tokenizer/tokenizer_config.json'])
        .sort(),
    );
    expect(events.at(-1)).toEqual({ stage: 'done', id: model.id, total: MODEL_BYTES, fromCache: false });
  });

  it('resumes after the connection is cut at 10 offsets, never fetching a stored chunk again', async () => {
    const counting = countingGets();
    const { url, label, store } = fresh({ fetch: counting.fetch });
    const cuts = [150_000, 333_333, 700_001, 1_000_000, 1_500_000, 2_000_017, 2_600_000, 3_100_000, 3_700_000, 4_390_000];
    server.fault(`${label}/${WEIGHTS}`, { cutAt: cuts });
    const retries: StoreProgress[] = [];
    const model = await store.download(url, { onProgress: (p) => p.stage === 'retry' && retries.push(p) });

    const requests = gets(WEIGHTS, label);
    expect(requests.map((r) => r.cut)).toEqual([...cuts.map(() => true), false]);
    // The server's side: each request served from its start to the next cut (or the end).
    const starts = requests.map((r) => r.start);
    requests.forEach((r, i) => expect(r.bytesSent).toBe((cuts[i] ?? WEIGHTS_SIZE) - starts[i]!));
    expect(starts.every((start, i) => i === 0 || (start > starts[i - 1]! && start <= cuts[i - 1]!))).toBe(true);
    // The client's side: every retry asked for exactly the bytes after those it had received.
    expect(expectContinuous(counting.of(WEIGHTS))).toBe(WEIGHTS_SIZE);
    expect(retries).toHaveLength(10);
    expect(model.files.find((f) => f.path === WEIGHTS)?.sha256).toBe(sha(fixture(WEIGHTS)));
    await expectIdentical(await store.open(model.id), [WEIGHTS]);
  });

  it('continues in a later session from the last stored chunk (cancelled mid-file)', async () => {
    const { url, label, id, store, make } = fresh();
    const controller = new AbortController();
    const first = store.download(url, {
      signal: controller.signal,
      onProgress: (p) => p.stage === 'download' && p.file === WEIGHTS && p.fileLoaded >= 1_234_567 && controller.abort(),
    });
    await expect(first).rejects.toThrow(CancelledError);
    const [partial] = await store.list();
    expect(partial).toMatchObject({ id, complete: false });
    const stored = partial!.files.find((f) => f.path === WEIGHTS)!;
    expect(stored.complete).toBe(false);
    expect(stored.storedBytes % CHUNK).toBe(0);
    expect(stored.storedBytes).toBeGreaterThanOrEqual(1_100_000);
    await expect(store.open(id)).rejects.toThrow(/only partly stored/);
    const completeBefore = partial!.files.filter((f) => f.complete).map((f) => f.path);
    const before = server.log.length;

    const model = await make().download(url); // a new WeightStore: as after a reload
    const later = server.log.slice(before).filter((r) => r.label === label && r.method === 'GET');
    expect(later.find((r) => r.path === WEIGHTS)?.range).toBe(resumeAt(stored.storedBytes));
    for (const path of completeBefore)
      expect(
        later.some((r) => r.path === path),
        path,
      ).toBe(false);
    expect(model.complete).toBe(true);
    await expectIdentical(await make().open(id));
  });

  it('restarts a file when the server ignores Range (200 instead of 206)', async () => {
    const counting = countingGets();
    const { url, label, store } = fresh({ fetch: counting.fetch });
    server.fault(`${label}/${WEIGHTS}`, { noRange: true, cutAt: [2_000_000] });
    const model = await store.download(url);
    const requests = gets(WEIGHTS, label);
    expect(requests.map((r) => [r.status, r.bytesSent])).toEqual([
      [200, 2_000_000],
      [200, WEIGHTS_SIZE], // asked for a Range, got the whole file, and read it from byte 0
    ]);
    const [first, second] = counting.of(WEIGHTS);
    expect(second?.range).toBe(resumeAt(first!.delivered));
    await expectIdentical(await store.open(model.id), [WEIGHTS]);
  });

  it('retries 5xx answers with backoff', async () => {
    const { url, label, store } = fresh();
    server.fault(`${label}/${WEIGHTS}`, { status: 503, times: 3 }); // HEAD, GET, GET
    const retries: StoreProgress[] = [];
    await store.download(url, { onProgress: (p) => p.stage === 'retry' && retries.push(p) });
    expect(server.requests(WEIGHTS, label).map((r) => `${r.method} ${r.status}`)).toEqual(['HEAD 503', 'GET 503', 'GET 503', 'GET 200']);
    expect(retries.map((r) => r.stage === 'retry' && r.delayMs)).toEqual([1, 2]);
  });

  it('gives up when the server is gone mid-download, keeping what was stored for later', async () => {
    const counting = countingGets();
    const { url, label, store } = fresh({ fetch: counting.fetch });
    server.fault(`${label}/${WEIGHTS}`, { cutAt: [1_050_000] });
    const retries: number[] = [];
    const attempt = store.download(url, {
      onProgress: (p) => {
        if (p.stage !== 'retry') return;
        retries.push(p.attempt);
        server.fault(`${label}/${WEIGHTS}`, { drop: true }); // from now on the server hangs up at once
      },
    });
    await expect(attempt).rejects.toThrow(NetworkError);
    await expect(attempt).rejects.toThrow(/Gave up on unet\/weights\.pb at .* after 5 retries.*continues from there/);
    expect(retries).toEqual([1, 2, 3, 4, 5]);
    const [first, ...retried] = counting.of(WEIGHTS);
    expect(retried.map((r) => r.range)).toEqual(new Array(5).fill(resumeAt(first!.delivered)));

    server.clearFaults();
    await store.download(url);
    expect(gets(WEIGHTS, label).at(-1)?.range).toBe(resumeAt(1_000_000)); // the last stored chunk boundary
    await expectIdentical(await store.open(url), [WEIGHTS]);
  });

  it('reports a missing model_index.json or required file as ModelFileMissingError, before any large download', async () => {
    const a = fresh();
    server.fault(`${a.label}/model_index.json`, { status: 404 });
    await expect(a.store.download(a.url)).rejects.toThrow(ModelFileMissingError);
    await expect(a.store.download(a.url)).rejects.toThrow(/model_index\.json is missing: .*answered 404.*diffusers ONNX model folder/);

    const b = fresh();
    server.fault(`${b.label}/vae_decoder/model.onnx`, { status: 404 });
    await expect(b.store.download(b.url)).rejects.toThrow(/vae_decoder\/model\.onnx is missing/);
    expect(gets(WEIGHTS, b.label)).toHaveLength(0);
  });

  it('skips an optional file the server lacks even when HEAD is refused; a 403 on manifest.json means no manifest', async () => {
    const { url, label, store } = fresh();
    server.fault(`${label}/manifest.json`, { status: 403 });
    server.fault(`${label}/tokenizer/tokenizer.json`, { status: 405, methods: ['HEAD'] });
    const head405 = { status: 405, methods: ['HEAD'] };
    server.fault(`${label}/tokenizer/special_tokens_map.json`, head405); // absent on disk: the GET answers 404
    const model = await store.download(url);
    expect(model.complete).toBe(true);
    expect(model.files.map((f) => f.path)).not.toContain('tokenizer/special_tokens_map.json');
    expect(gets('tokenizer/special_tokens_map.json', label).map((r) => r.status)).toEqual([404]);
    expect(model.files.map((f) => f.path)).toContain('tokenizer/tokenizer.json');
    expect((await store.open(model.id)).files.map((f) => f.path).sort()).toEqual(MODEL_FILES);
  });

  it.each([
    ['an HTML page', '<!DOCTYPE html><html><body>Access denied</body></html>', 'text/html', /HTML page/],
    ['a git-lfs pointer', 'version https://git-lfs.github.com/spec/v1\noid sha256:4c3a\nsize 430034\n', 'text/plain', /git-lfs pointer/],
    ['a JSON error', '{"error":"Entry not found"}', 'application/json', /JSON instead of the ONNX model/],
    ['bytes of another format', 'GGUF\u0003\u0000\u0000\u0000 not onnx at all', 'application/octet-stream', /is not an ONNX model/],
  ])('rejects %s served as unet/model.onnx with ModelFormatError, storing nothing of it', async (_, body, contentType, message) => {
    const { url, label, store } = fresh();
    server.fault(`${label}/unet/model.onnx`, { body, contentType });
    await expect(store.download(url)).rejects.toThrow(ModelFormatError);
    const [model] = await store.list(); // an HTML Content-Type fails at the HEAD, before a model record exists
    expect(model?.complete ?? false).toBe(false);
    expect(model?.files.find((f) => f.path === 'unet/model.onnx')?.storedBytes ?? 0).toBe(0);
    await expect(fresh().store.download(url)).rejects.toThrow(message);
  });

  it('fails fast with a CORS / offline explanation when fetch itself throws', async () => {
    let calls = 0;
    const { url, store } = fresh({
      fetch: async () => {
        calls++;
        throw new TypeError('Failed to fetch');
      },
    });
    await expect(store.download(url)).rejects.toThrow(NetworkError);
    await expect(store.download(url)).rejects.toThrow(/unreachable or refused .*CORS.*Access-Control-Allow-Origin/);
    expect(calls).toBe(4); // two downloads, one retry each
  });

  it('checks the model against a quota estimate before downloading, with the sizes involved', async () => {
    let persisted = 0;
    const { url, label, store } = fresh({
      storage: { estimate: async () => ({ usage: 1_000_000, quota: 10_000_000 }), persist: async () => (persisted++, true) },
    });
    await expect(store.download(url)).rejects.toThrow(QuotaExceededError);
    await expect(store.download(url)).rejects.toThrow(/needs 16\.\d+ MiB but the browser allows this site only 8\.58 MiB more/);
    expect(gets(WEIGHTS, label)).toHaveLength(0);
    expect(persisted).toBe(0);

    const roomy = fresh({
      storage: { estimate: async () => ({ usage: 0, quota: 1e12 }), persisted: async () => false, persist: async () => (persisted++, true) },
    });
    expect((await roomy.store.download(roomy.url)).persisted).toBe(true);
    expect(persisted).toBe(1);
  });

  it('refuses a file too large for one browser buffer before downloading it', async () => {
    // The limit is scaled down to the fixture: text_encoder/model.onnx (6.4 MB) stands for an fp32 SD v1.4 UNet (3.4 GB > 2 GiB).
    const { url, label, store } = fresh({ maxFileBytes: 5_000_000 });
    await expect(store.download(url)).rejects.toThrow(ModelFormatError);
    await expect(store.download(url)).rejects.toThrow(/text_encoder\/model\.onnx is 6\.\d+ MiB, more than the 4\.\d+ MiB a browser can load as one buffer/);
    expect(gets('text_encoder/model.onnx', label)).toHaveLength(0);
    expect(gets(WEIGHTS, label)).toHaveLength(0);
  });

  it('turns a QuotaExceededError from IndexedDB into ours; the stored part stays usable for a resume', async () => {
    const { url, label, store, id } = fresh();
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      if (Array.isArray(key) && key[0] === 'c' && key[2] === WEIGHTS && (key[3] as number) >= 5) {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      }
      return put.call(this, value, key);
    } as typeof put;
    try {
      await expect(store.download(url)).rejects.toThrow(/ran out of storage for m\d+ after .* of 16\.\d+ MiB/);
      await expect(store.download(url)).rejects.toThrow(QuotaExceededError);
    } finally {
      IDBObjectStore.prototype.put = put;
    }
    const [partial] = await store.list();
    expect(partial?.complete).toBe(false);
    expect(partial?.files.find((f) => f.path === WEIGHTS)).toMatchObject({ storedBytes: 5 * CHUNK, complete: false });
    await store.download(url);
    expect(gets(WEIGHTS, label).at(-1)?.range).toBe(resumeAt(5 * CHUNK));
    await expectIdentical(await store.open(id), [WEIGHTS]);
  });

  it('lets one download run per model; a concurrent caller gets the stored copy', async () => {
    const tails = new Map<string, Promise<unknown>>();
    const locks = {
      request: ((name: string, fn: () => Promise<unknown>) => {
        const run = (tails.get(name) ?? Promise.resolve()).then(fn);
        tails.set(
          name,
          run.catch(() => {}),
        );
        return run;
      }) as unknown as LockManager['request'],
    };
    const { url, label, make } = fresh({ locks });
    const events: StoreProgress[] = [];
    const [a, b] = await Promise.all([make().download(url), make().download(url, { onProgress: (p) => events.push(p) })]);
    expect(a.complete && b.complete).toBe(true);
    for (const path of MODEL_FILES) expect(gets(path, label), path).toHaveLength(1);
    expect(events).toEqual([{ stage: 'done', id: a.id, total: MODEL_BYTES, fromCache: true }]);
  });
});

/**
 * A model without a manifest whose weights file changes on the server between two sessions. The
 * first session stores about 1.1 MB of the original and is cancelled; the second must end with the
 * server's new version byte for byte, never a mix of both (issue 12, item 1).
 */
describe('a file that changes on the server (no manifest)', () => {
  /** The new version: the fixture with bytes changed inside the part the first session stored (and after it). */
  function changed(extra = 0): Uint8Array {
    const bytes = new Uint8Array(WEIGHTS_SIZE + extra);
    bytes.set(fixture(WEIGHTS));
    for (const at of [500_000, 3_000_000]) bytes[at]! ^= 0xff;
    for (let i = WEIGHTS_SIZE; i < bytes.length; i++) bytes[i] = i % 251;
    return bytes;
  }

  /** Session one: stops once ~1.1 MB of the weights are stored; returns what was stored. */
  async function storePart(store: WeightStore, url: string): Promise<number> {
    const controller = new AbortController();
    const first = store.download(url, {
      signal: controller.signal,
      onProgress: (p) => p.stage === 'download' && p.file === WEIGHTS && p.fileLoaded >= 1_150_000 && controller.abort(),
    });
    await expect(first).rejects.toThrow(CancelledError);
    const stored = (await store.list())[0]!.files.find((f) => f.path === WEIGHTS)!;
    expect(stored).toMatchObject({ complete: false });
    expect(stored.storedBytes).toBeGreaterThanOrEqual(1_100_000);
    return stored.storedBytes;
  }

  async function expectStored(store: WeightStore, url: string, expected: Uint8Array) {
    const model = await store.download(url);
    expect(model.complete).toBe(true);
    const bytes = await (await store.open(model.id)).readBytes(WEIGHTS);
    expect(bytes.length).toBe(expected.length);
    expect(sha(bytes)).toBe(sha(expected));
    expect(model.files.find((f) => f.path === WEIGHTS)?.sha256).toBe(sha(expected));
    await expect(store.verify(model.id, { offline: true })).resolves.toEqual({ repaired: [] });
  }

  it('with a new ETag: the resume carries If-Range and takes the new version from the 200 it gets', async () => {
    const { url, label, make } = fresh();
    const storedBytes = await storePart(make(), url);
    const oldEtag = gets(WEIGHTS, label)[0]!;
    const v2 = changed();
    server.fault(`${label}/${WEIGHTS}`, { body: v2, etag: '"v2"' });
    const before = gets(WEIGHTS, label).length;
    await expectStored(make(), url, v2);
    const later = gets(WEIGHTS, label).slice(before);
    // One request: the server saw the stale validator and answered the whole new file.
    expect(later.map((r) => [r.range, r.ifRange, r.status])).toEqual([[resumeAt(storedBytes), expect.stringMatching(/^"\d+-\d+"$/), 200]]);
    expect(oldEtag.status).toBe(200);
  });

  it.each([
    ['honours If-Range', false],
    ['ignores If-Range', true],
  ])('without ETag, Last-Modified only (a server that %s): the stale part is never mixed with the new version', async (_, ignoreIfRange) => {
    const { url, label, make } = fresh();
    const lastModified = 'Tue, 24 Nov 2026 10:00:00 GMT';
    server.fault(`${label}/${WEIGHTS}`, { etag: false, lastModified, ignoreIfRange });
    const storedBytes = await storePart(make(), url);
    const v2 = changed();
    server.fault(`${label}/${WEIGHTS}`, { body: v2, etag: false, lastModified: 'Wed, 25 Nov 2026 10:00:00 GMT', ignoreIfRange });
    const before = gets(WEIGHTS, label).length;
    await expectStored(make(), url, v2);
    const resume = gets(WEIGHTS, label)[before]!;
    expect([resume.range, resume.ifRange]).toEqual([resumeAt(storedBytes), lastModified]);
  });

  it('without any validator: a stored part cannot be matched to the server, so the file starts again from byte 0', async () => {
    const { url, label, make } = fresh();
    server.fault(`${label}/${WEIGHTS}`, { etag: false, lastModified: false });
    await storePart(make(), url);
    const v2 = changed();
    server.fault(`${label}/${WEIGHTS}`, { body: v2, etag: false, lastModified: false });
    const before = gets(WEIGHTS, label).length;
    await expectStored(make(), url, v2);
    expect(
      gets(WEIGHTS, label)
        .slice(before)
        .map((r) => [r.range, r.status]),
    ).toEqual([[null, 200]]);
  });

  it('with a new size between two sessions: the HEAD size differs from the stored part, so the file starts again', async () => {
    const { url, label, make } = fresh();
    const lastModified = 'Tue, 24 Nov 2026 10:00:00 GMT';
    server.fault(`${label}/${WEIGHTS}`, { etag: false, lastModified, ignoreIfRange: true });
    await storePart(make(), url);
    const v2 = changed(300_000); // 4 690 912 bytes; the same Last-Modified, so only the size tells
    server.fault(`${label}/${WEIGHTS}`, { body: v2, etag: false, lastModified, ignoreIfRange: true });
    const before = gets(WEIGHTS, label).length;
    await expectStored(make(), url, v2);
    expect(
      gets(WEIGHTS, label)
        .slice(before)
        .map((r) => [r.status, r.range]),
    ).toEqual([[200, null]]);
  });

  it('with a new size during a session (a server that ignores If-Range): the Content-Range total restarts the file', async () => {
    const { url, label, store } = fresh();
    const lastModified = 'Tue, 24 Nov 2026 10:00:00 GMT';
    server.fault(`${label}/${WEIGHTS}`, { etag: false, lastModified, ignoreIfRange: true, cutAt: [1_500_000] });
    const v2 = changed(300_000);
    const onProgress = (p: StoreProgress) => {
      // Between the cut and the retry the file is replaced (same Last-Modified: only the size tells).
      if (p.stage === 'retry') server.fault(`${label}/${WEIGHTS}`, { body: v2, etag: false, lastModified, ignoreIfRange: true });
    };
    await store.download(url, { onProgress });
    expect(gets(WEIGHTS, label).map((r) => [r.status, r.range, r.cut])).toEqual([
      [200, null, true],
      [206, expect.stringMatching(/^bytes=\d+-$/), false], // bytes N-4690911/4690912: not the file whose start is held
      [200, null, false],
    ]);
    await expectStored(store, url, v2);
  });

  it('a close-delimited body (no Content-Length) that ends early stays partial: the size from HEAD must be reached', async () => {
    const counting = countingGets();
    const { url, label, store } = fresh({ fetch: counting.fetch });
    server.fault(`${label}/${WEIGHTS}`, { closeDelimited: true, cutAt: [2_000_000], methods: ['GET'] });
    const model = await store.download(url);
    expect(gets(WEIGHTS, label).map((r) => [r.status, r.bytesSent, r.cut])).toEqual([
      [200, 2_000_000, true], // ended by closing the connection: to the client a normal end
      [206, WEIGHTS_SIZE - 2_000_000 + RESUME_OVERLAP, false],
    ]);
    expect(expectContinuous(counting.of(WEIGHTS))).toBe(WEIGHTS_SIZE);
    expect(model.files.find((f) => f.path === WEIGHTS)).toMatchObject({ size: WEIGHTS_SIZE, sha256: sha(fixture(WEIGHTS)) });
    await expectIdentical(await store.open(model.id), [WEIGHTS]);
  });

  it('a 200 to a Range request restarts cleanly from byte 0, and a short close-delimited 200 is not taken as the whole file', async () => {
    const { url, label, make } = fresh();
    await storePart(make(), url);
    server.fault(`${label}/${WEIGHTS}`, { noRange: true, closeDelimited: true, cutAt: [2_000_000], methods: ['GET'] });
    const before = gets(WEIGHTS, label).length;
    const store = make();
    const model = await store.download(url);
    expect(
      gets(WEIGHTS, label)
        .slice(before)
        .map((r) => [r.status, r.bytesSent, r.range !== null]),
    ).toEqual([
      [200, 2_000_000, true], // Range asked, the whole file started from byte 0, cut
      [200, WEIGHTS_SIZE, true], // asked to resume at 2 000 000, got byte 0 again: restarted once more
    ]);
    expect(model.files.find((f) => f.path === WEIGHTS)).toMatchObject({ size: WEIGHTS_SIZE, sha256: sha(fixture(WEIGHTS)), complete: true });
    await expectIdentical(await store.open(model.id), [WEIGHTS]);
  });
});

describe('WeightStore with a manifest', () => {
  it('plans from the manifest (no HEAD probes) and checks each file against it', async () => {
    const { url, label, store } = fresh();
    server.fault(`${label}/manifest.json`, { body: JSON.stringify(await makeManifest(FIXTURE)) });
    const model = await store.download(url);
    expect(server.log.filter((r) => r.label === label && r.method === 'HEAD')).toHaveLength(0);
    expect(model.files.map((f) => f.path)).toContain('manifest.json');
    await expectIdentical(await store.open(model.id));
  });

  it('discards a file whose SHA-256 differs from the manifest, tries once more, then fails with IntegrityError', async () => {
    const { url, label, store } = fresh();
    server.fault(`${label}/manifest.json`, { body: JSON.stringify(await makeManifest(FIXTURE)) });
    const damaged = fixture(WEIGHTS).slice();
    damaged[3_000_000]! ^= 0xff;
    server.fault(`${label}/${WEIGHTS}`, { body: damaged });
    await expect(store.download(url)).rejects.toThrow(IntegrityError);
    expect(gets(WEIGHTS, label)).toHaveLength(2);
    const [model] = await store.list();
    expect(model?.complete).toBe(false);
    expect(model?.files.find((f) => f.path === WEIGHTS)).toMatchObject({ complete: false, storedBytes: 0 });
    await expect(store.download(url)).rejects.toThrow(/unet\/weights\.pb failed its integrity check: SHA-256 .* but the manifest says/);
  });

  it('refuses a file whose size differs from the manifest before storing it', async () => {
    const { url, label, store } = fresh();
    const manifest = await makeManifest(FIXTURE);
    manifest.files.find((f) => f.path === WEIGHTS)!.size += 1;
    server.fault(`${label}/manifest.json`, { body: JSON.stringify(manifest) });
    await expect(store.download(url)).rejects.toThrow(/is 4390912 bytes but the model's manifest\.json says 4390913/);
  });
});

describe('stored models', () => {
  it('re-fetches damaged or missing chunks by Range when loading, and never returns damaged bytes', async () => {
    const { url, label, dbName, store } = fresh();
    const model = await store.download(url);
    const chunks = new ChunkStore(dbName);
    await chunks.putChunk(model.id, WEIGHTS, 3, new Uint8Array(CHUNK).fill(7)); // corrupted
    await del(['c', model.id, WEIGHTS, 7], createStore(dbName, 'files')); // missing
    await chunks.putChunk(model.id, WEIGHTS, 43, new Uint8Array(10)); // truncated last chunk
    const before = server.log.length;

    await expect((await store.open(model.id, { offline: true })).readBytes(WEIGHTS)).rejects.toThrow(IntegrityError);
    await expect((await store.open(model.id, { offline: true })).readBytes(WEIGHTS)).rejects.toThrow(/Chunk 3 of unet\/weights\.pb .* is damaged/);
    expect(server.log.length).toBe(before);

    const repairs: StoreProgress[] = [];
    const source = await store.open(model.id, { onProgress: (p) => repairs.push(p) });
    await expectIdentical(source, [WEIGHTS]);
    expect(repairs.map((p) => p.stage === 'repair' && p.chunk)).toEqual([3, 7, 43]);
    expect(server.log.slice(before).map((r) => `${r.label}/${r.path} ${r.range}`)).toEqual([
      `${label}/${WEIGHTS} bytes=300000-399999`,
      `${label}/${WEIGHTS} bytes=700000-799999`,
      `${label}/${WEIGHTS} bytes=4300000-4390911`,
    ]);
    // Repaired in storage: offline reads work again.
    await expectIdentical(await store.open(model.id, { offline: true }), [WEIGHTS]);
  });

  it('verify() re-hashes every file and repairs damaged chunks', async () => {
    const { url, dbName, store } = fresh();
    const model = await store.download(url);
    await new ChunkStore(dbName).putChunk(model.id, 'text_encoder/model.onnx', 10, new Uint8Array(CHUNK));
    expect(await store.verify(model.id)).toEqual({ repaired: [{ path: 'text_encoder/model.onnx', chunk: 10 }] });
    expect(await store.verify(model.id, { offline: true })).toEqual({ repaired: [] });
  });

  it('works from IndexedDB alone once stored: no fetch at all', async () => {
    const { url, dbName, make } = fresh();
    await make().download(url);
    const offline = make({
      fetch: () => {
        throw new Error('the network was used');
      },
    });
    const events: StoreProgress[] = [];
    const source = await offline.ensure(url, { onProgress: (p) => events.push(p) });
    expect(events.map((e) => e.stage)).toEqual(['done']);
    expect(source.name).toMatch(/^m\d+$/);
    expect(await source.has('unet/weights.pb')).toBe(true);
    expect(await source.has('tokenizer/special_tokens_map.json')).toBe(false);
    await expectIdentical(source);
    expect(JSON.parse(await source.readText('model_index.json'))._class_name).toBe('OnnxStableDiffusionPipeline');
    await expectIdentical(await IdbModelSource.open(WeightStore.idFor(url), { dbName }), ['unet/model.onnx']);
  });

  it('lists models with sizes and deletes one with all its chunks', async () => {
    const a = fresh();
    const b = fresh({ dbName: a.dbName });
    await a.store.download(a.url);
    await b.store.download(b.url);
    expect((await a.store.list()).map((m) => [m.id, m.sizeBytes, m.complete])).toEqual([
      [a.id, MODEL_BYTES, true],
      [b.id, MODEL_BYTES, true],
    ]);
    await a.store.delete(a.url);
    expect((await a.store.list()).map((m) => m.id)).toEqual([b.id]);
    const left = await keys<IDBValidKey[]>(createStore(a.dbName, 'files'));
    expect(left.filter((key) => key[1] === a.id)).toEqual([]);
    expect(left.filter((key) => key[1] === b.id).length).toBeGreaterThan(MODEL_FILES.length);
    await expect(a.store.open(a.id)).rejects.toThrow(/No model is stored/);
  });
});

describe('HttpModelSource', () => {
  it('reads files straight from the server with the same checks', async () => {
    const { url, label } = fresh();
    const source = new HttpModelSource(url);
    await expectIdentical(source, ['model_index.json', WEIGHTS]);
    expect(await source.has('tokenizer/tokenizer.json')).toBe(true);
    expect(await source.has('tokenizer/special_tokens_map.json')).toBe(false);
    await expect(source.readBytes('nope/model.onnx')).rejects.toThrow(ModelFileMissingError);
    server.fault(`${label}/unet/model.onnx`, { body: 'version https://git-lfs.github.com/spec/v1\n' });
    await expect(source.readBytes('unet/model.onnx')).rejects.toThrow(/git-lfs pointer/);
  });
});
