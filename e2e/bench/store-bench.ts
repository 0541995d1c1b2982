/**
 * Weight-store benchmark in Chromium (prints numbers, asserts nothing):
 *   npm run bench:store                 # 1.7 GB unet/weights.pb, 16 MiB chunks
 *   npm run bench:store -- --size 500e6 --chunk 8388608
 *
 * A local server generates a model folder whose unet/weights.pb is `size` pseudo-random
 * (incompressible, like fp16 weights) bytes; the other files come from fixtures/tiny-sd-fp32.
 * Chromium runs with a persistent on-disk profile (an incognito context keeps IndexedDB in memory).
 *
 * Measures: download-to-IndexedDB throughput (fetch → chunks → IndexedDB, incremental SHA-256
 * included), load-from-IndexedDB time of unet/weights.pb into one Uint8Array (chunk digests
 * checked), and peak memory. Memory is the resident set size (RSS, from /proc/<pid>/status
 * VmRSS) of Chromium's processes, sampled every 100 ms and grouped by process type: the
 * renderer hosts the page and its worker (the store's buffers), the browser process hosts
 * IndexedDB's backend. RSS includes shared pages, so the sum over-counts slightly.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../lib/browser.js';
import { memorySampler } from '../lib/memory-sampler.js';
import { startFaultServer, type VirtualFile } from '../lib/fault-server.js';
import { openStorePage, REPO_ROOT, startStorePageServer, storeCall } from '../store-harness.js';
import type { StoredModel } from '../../src/store/index.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const SIZE = Math.round(arg('size', 1.7e9));
const CHUNK = Math.round(arg('chunk', 16 * 1024 * 1024));
const WEIGHTS = 'unet/weights.pb';
const MB = 1e6;

/** Deterministic incompressible bytes: a 1 MiB xorshift block, each MiB XOR-ed with its index. */
function generatedFile(size: number): VirtualFile {
  const BLOCK = 1 << 20;
  const base = new Uint8Array(BLOCK);
  let x = 0x9e3779b9;
  for (let i = 0; i < BLOCK; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    base[i] = x & 0xff;
  }
  return {
    size,
    read(offset, length) {
      const n = Math.min(length, size - offset);
      const out = new Uint8Array(n);
      for (let pos = 0; pos < n; ) {
        const abs = offset + pos;
        const block = Math.floor(abs / BLOCK);
        const within = abs % BLOCK;
        const take = Math.min(BLOCK - within, n - pos);
        out.set(base.subarray(within, within + take), pos);
        const key = block & 0xff;
        if (key) for (let i = pos; i < pos + take; i++) out[i]! ^= key;
        pos += take;
      }
      return out;
    },
  };
}

function sha256Of(file: VirtualFile): string {
  const hash = createHash('sha256');
  for (let offset = 0; offset < file.size; offset += 16 << 20) hash.update(file.read(offset, 16 << 20) as Uint8Array);
  return hash.digest('hex');
}

const fmt = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;

async function main(): Promise<void> {
  const weights = generatedFile(SIZE);
  console.log(`weight-store benchmark: unet/weights.pb = ${fmt(SIZE)} generated, chunk ${CHUNK} B, Chromium ${CHROMIUM_PATH}`);
  const expectedSha = sha256Of(weights);
  const server = await startFaultServer({ root: `${REPO_ROOT}fixtures/tiny-sd-fp32`, files: { [WEIGHTS]: weights } });
  const pages = await startStorePageServer();
  const profile = mkdtempSync(join(tmpdir(), 'sd-store-bench-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  const memory = memorySampler(profile);
  const m = { url: `${server.url}bench/`, dbName: 'bench', chunkSize: CHUNK, plainFetch: true };
  try {
    const page = await openStorePage(context, pages);
    const parts = await storeCall<Record<string, number>>(page, 'parts', {
      url: `${server.url}parts/${WEIGHTS}`,
      chunkSize: CHUNK,
      bytes: Math.min(SIZE, 256 * MB),
    });
    const idle = memory.sample();
    memory.reset();
    const download = await storeCall<{ model: StoredModel; seconds: number }>(page, 'download', m);
    const downloadPeaks = memory.peaks();
    const stored = download.model.files.find((f) => f.path === WEIGHTS)!;
    const total = download.model.sizeBytes;
    await page.close();

    const reader = await openStorePage(context, pages); // a fresh worker: nothing cached in memory
    memory.reset();
    const read = await storeCall<{ files: Record<string, { size: number; ms: number }> }>(reader, 'read', {
      ...m,
      id: download.model.id,
      paths: [WEIGHTS],
      digest: false,
    });
    const loadPeaks = memory.peaks();
    const estimate = await storeCall<{ usage: number; quota: number }>(reader, 'estimate');
    await storeCall(reader, 'delete', { ...m, id: download.model.id });

    const loadMs = read.files[WEIGHTS]!.ms;
    console.log('');
    console.log(`download → IndexedDB: ${fmt(total)} in ${download.seconds.toFixed(1)} s = ${(total / MB / download.seconds).toFixed(0)} MB/s`);
    console.log(`  SHA-256 recorded ${stored.sha256 === expectedSha ? 'matches' : 'DIFFERS FROM'} the generator's (${expectedSha.slice(0, 16)}…)`);
    console.log(`  storage estimate after download: usage ${fmt(estimate.usage)} of quota ${fmt(estimate.quota)}`);
    console.log(
      `  each stage alone in the worker, MB/s: ${Object.entries(parts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    console.log(
      `load unet/weights.pb from IndexedDB (chunk digests checked): ${(loadMs / 1000).toFixed(2)} s = ${(SIZE / MB / (loadMs / 1000)).toFixed(0)} MB/s`,
    );
    console.log('');
    console.log(`peak RSS (sampled every 100 ms from /proc/<pid>/status; idle total before download ${fmt(idle)}):`);
    for (const [phase, peaks] of [
      ['download', downloadPeaks],
      ['load', loadPeaks],
    ] as const) {
      console.log(
        `  ${phase.padEnd(8)} ${Object.entries(peaks)
          .map(([type, bytes]) => `${type} ${fmt(bytes)}`)
          .join(', ')}`,
      );
    }
  } finally {
    memory.stop();
    await context.close();
    await Promise.all([pages.close(), server.close()]);
    rmSync(profile, { recursive: true, force: true });
  }
}

await main();
