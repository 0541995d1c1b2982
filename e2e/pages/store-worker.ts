/**
 * The weight store inside a module worker, driven by store-page.ts for the browser tests and the
 * benchmark. Bytes never cross to the test: reads answer with sizes and SHA-256 digests.
 * Every fetch the store makes goes through a counting wrapper, so tests can check that a resumed
 * request starts exactly after the bytes that reached the store.
 */
import { createStore, del } from 'idb-keyval';
import { ChunkStore } from '../../src/store/chunk-store.js';
import { WeightStore, type StoreProgress, type WeightStoreOptions } from '../../src/store/index.js';
import { Sha256, sha256Native } from '../../src/store/sha256.js';
import { countingFetch, type FetchEntry } from '../../src/testing/counting-fetch.js';

export type StoreOp = 'download' | 'read' | 'ensureOffline' | 'corrupt' | 'list' | 'delete' | 'fetchLog' | 'estimate' | 'parts';
export type StoreReply = { result: unknown; error?: undefined } | { error: { name: string; message: string }; result?: undefined };

const fetchLog: FetchEntry[] = [];
const countedFetch = countingFetch(fetchLog);

interface CommonArgs {
  dbName: string;
  chunkSize?: number;
  retryDelayMs?: number;
  noNetwork?: boolean;
  /** The browser's fetch without the counting wrapper (benchmark). */
  plainFetch?: boolean;
}

function makeStore({ dbName, chunkSize, retryDelayMs = 10, noNetwork, plainFetch }: CommonArgs): WeightStore {
  const options: WeightStoreOptions = { dbName, retry: { baseDelayMs: retryDelayMs, maxDelayMs: retryDelayMs * 4 }, progressIntervalMs: 50 };
  if (chunkSize) options.chunkSize = chunkSize;
  options.fetch = noNetwork
    ? async (input) => {
        fetchLog.push({ url: input, method: 'BLOCKED', range: null, status: 0, delivered: 0 });
        throw new TypeError('no network in this test');
      }
    : plainFetch
      ? (input, init) => fetch(input, init)
      : countedFetch;
  return new WeightStore(options);
}

function post(progress: StoreProgress): void {
  self.postMessage({ progress });
}

/** Reads each file; `digest: false` skips hashing the result (the benchmark times loading alone). */
async function digests(source: { readBytes(path: string): Promise<Uint8Array> }, paths: string[], digest = true) {
  const out: Record<string, { size: number; sha256?: string; ms: number }> = {};
  for (const path of paths) {
    const t0 = performance.now();
    let bytes: Uint8Array | null = await source.readBytes(path);
    const ms = performance.now() - t0;
    out[path] = { size: bytes.length, ms };
    if (digest) out[path].sha256 = await sha256Native(bytes);
    bytes = null;
  }
  return out;
}

const ops: Record<StoreOp, (args: never) => Promise<unknown>> = {
  async download(args: CommonArgs & { url: string }) {
    const stages: Record<string, number> = {};
    const t0 = performance.now();
    const model = await makeStore(args).download(args.url, {
      onProgress: (p) => {
        stages[p.stage] = (stages[p.stage] ?? 0) + 1;
        post(p);
      },
    });
    return { model, stages, seconds: (performance.now() - t0) / 1000 };
  },
  async read(args: CommonArgs & { id: string; paths: string[]; offline?: boolean; digest?: boolean }) {
    const repairs: number[] = [];
    const source = await makeStore(args).open(args.id, { offline: !!args.offline, onProgress: (p) => p.stage === 'repair' && repairs.push(p.chunk) });
    return { files: await digests(source, args.paths, args.digest !== false), repairs };
  },
  /** ensure() with a fetch that fails the test if used: a visit with no server. */
  async ensureOffline(args: CommonArgs & { url: string; paths: string[] }) {
    const stages: string[] = [];
    const source = await makeStore({ ...args, noNetwork: true }).ensure(args.url, { onProgress: (p) => stages.push(p.stage) });
    return { name: source.name, stages, files: await digests(source, args.paths) };
  },
  async corrupt(args: { dbName: string; id: string; path: string; index: number; mode: 'junk' | 'delete' }) {
    if (args.mode === 'delete') await del(['c', args.id, args.path, args.index], createStore(args.dbName, 'files'));
    else await new ChunkStore(args.dbName).putChunk(args.id, args.path, args.index, new Uint8Array(1000).fill(0x5a));
    return null;
  },
  async list(args: CommonArgs) {
    return makeStore(args).list();
  },
  async delete(args: CommonArgs & { id: string }) {
    await makeStore(args).delete(args.id);
    return null;
  },
  async fetchLog() {
    return fetchLog;
  },
  async estimate() {
    return navigator.storage.estimate();
  },
  /** Where download time goes (benchmark): each stage alone, in MB/s. */
  async parts(args: { url: string; chunkSize: number; bytes: number }) {
    const mbps = (bytes: number, ms: number) => Math.round(bytes / 1e3 / ms);
    let t = performance.now();
    const reader = (await fetch(args.url, { cache: 'no-store' })).body!.getReader();
    let fetched = 0;
    while (fetched < args.bytes) {
      const { done, value } = await reader.read();
      if (done) break;
      fetched += value.length;
    }
    await reader.cancel();
    const fetchOnly = mbps(fetched, performance.now() - t);
    const chunk = new Uint8Array(args.chunkSize).map((_, i) => (i * 2654435761) >>> 24);
    const rounds = Math.max(1, Math.round(args.bytes / args.chunkSize));
    t = performance.now();
    const hasher = new Sha256();
    for (let i = 0; i < rounds; i++) hasher.update(chunk);
    const sha256Ts = mbps(rounds * chunk.length, performance.now() - t);
    t = performance.now();
    for (let i = 0; i < rounds; i++) await sha256Native(chunk);
    const sha256Subtle = mbps(rounds * chunk.length, performance.now() - t);
    const store = new ChunkStore('parts-probe');
    t = performance.now();
    for (let i = 0; i < rounds; i++) await store.putChunk('probe', 'x', i, chunk);
    const idbPut = mbps(rounds * chunk.length, performance.now() - t);
    t = performance.now();
    for (let i = 0; i < rounds; i++) await store.getChunk('probe', 'x', i);
    const idbGet = mbps(rounds * chunk.length, performance.now() - t);
    await store.deleteModel('probe');
    return { fetchOnly, sha256Ts, sha256Subtle, idbPut, idbGet };
  },
};

self.addEventListener('message', async (event: MessageEvent<{ id: number; op: StoreOp; args: never }>) => {
  const { id, op, args } = event.data;
  try {
    self.postMessage({ id, result: await ops[op](args) });
  } catch (error) {
    const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
    self.postMessage({ id, error: { name, message } });
  }
});
