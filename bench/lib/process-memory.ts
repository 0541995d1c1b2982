/** This process's memory for the benchmarks' reports, and the bytes a LoRA-merged view holds in memory. */
import { readFile } from 'node:fs/promises';
import type { ModelPartFiles } from '../../src/engine/model/model-folder.js';

/** The peak resident set so far, MiB (Linux VmHWM; 0 where /proc has no such line). */
export async function peakRssMb(): Promise<number> {
  return Number(/VmHWM:\s+(\d+)/.exec(await readFile('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
}

/** The resident set now, MiB. */
export const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;

/** The external-data bytes the parts hold in memory (the merged tensors; files given by path do not count). */
export function inMemoryBytes(parts: Iterable<ModelPartFiles>): number {
  let bytes = 0;
  for (const part of parts) for (const e of part.externalData) bytes += typeof e.data === 'string' ? 0 : e.data.length;
  return bytes;
}
