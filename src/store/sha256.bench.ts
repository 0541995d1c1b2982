/**
 * Throughput of the TypeScript SHA-256 (src/store/sha256.ts) against node:crypto, for reference.
 * Run: node --import tsx src/store/sha256.bench.ts
 * Hashes 64 MiB fed in 16 MiB and in 1 MiB updates, 3 repeats each, and prints the best MB/s.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Sha256 } from './sha256.js';

const TOTAL = 64 * 1024 * 1024;
const REPEATS = 3;
const data = new Uint8Array(randomBytes(TOTAL));

function best(run: () => void): number {
  let bestMs = Infinity;
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    run();
    bestMs = Math.min(bestMs, performance.now() - t0);
  }
  return TOTAL / 1e6 / (bestMs / 1000);
}

function hashTs(piece: number): void {
  const hasher = new Sha256();
  for (let pos = 0; pos < TOTAL; pos += piece) hasher.update(data.subarray(pos, pos + piece));
  hasher.digest();
}

function hashNode(piece: number): void {
  const hasher = createHash('sha256');
  for (let pos = 0; pos < TOTAL; pos += piece) hasher.update(data.subarray(pos, pos + piece));
  hasher.digest();
}

hashTs(1024 * 1024); // warm-up (JIT)
for (const [label, piece] of [
  ['16 MiB updates', 16 * 1024 * 1024],
  ['1 MiB updates', 1024 * 1024],
] as const) {
  console.log(`Sha256 (TS),  ${label}: ${best(() => hashTs(piece)).toFixed(1)} MB/s`);
}
console.log(`node:crypto,  16 MiB updates: ${best(() => hashNode(16 * 1024 * 1024)).toFixed(1)} MB/s`);
