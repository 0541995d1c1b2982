/**
 * Peak resident memory of one Chromium profile's processes, by process type (browser, renderer,
 * gpu-process, utility...), sampled every 100 ms from /proc/<pid>/status (VmRSS). The renderer hosts
 * the page and its workers (the weight store's buffers, onnxruntime-web's wasm heap); the GPU
 * process hosts WebGPU's buffers (SwiftShader keeps them in CPU memory); the browser process hosts
 * IndexedDB's backend. RSS counts shared pages in each process, so sums over-count slightly.
 * Linux only (benchmarks).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { CHROMIUM_PATH } from './browser.js';

export interface MemorySampler {
  /** Samples now; returns the total RSS in bytes. */
  sample(): number;
  /** Forgets the peaks so far (the start of a new phase). */
  reset(): void;
  /** Peak RSS per process type and of the total since the last reset, in bytes. */
  peaks(): Record<string, number>;
  stop(): void;
}

/** Samples the processes of the Chromium whose browser process was started with `profileDir`. */
export function memorySampler(profileDir: string): MemorySampler {
  const peaks: Record<string, number> = {};
  let peakTotal = 0;
  const sample = () => {
    const byType: Record<string, number> = {};
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (!cmdline.includes(profileDir) && !cmdline.includes('--type=')) continue;
        if (!cmdline.includes(CHROMIUM_PATH.split('/').pop()!) && !cmdline.includes('chrom')) continue;
        const type = /--type=([\w-]+)/.exec(cmdline)?.[1] ?? 'browser';
        if (type !== 'browser' && !ownedBy(pid, profileDir)) continue;
        const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
        byType[type] = (byType[type] ?? 0) + rss;
      } catch {
        // the process exited between readdir and read
      }
    }
    let total = 0;
    for (const [type, rss] of Object.entries(byType)) {
      peaks[type] = Math.max(peaks[type] ?? 0, rss);
      total += rss;
    }
    peakTotal = Math.max(peakTotal, total);
    return total;
  };
  const timer = setInterval(sample, 100);
  return {
    sample,
    reset() {
      for (const key of Object.keys(peaks)) delete peaks[key];
      peakTotal = 0;
      sample();
    },
    peaks: () => ({ ...peaks, total: peakTotal }),
    stop: () => clearInterval(timer),
  };
}

/** Child processes of this profile's browser process carry no profile path; walk up their parents. */
function ownedBy(pid: string, profileDir: string): boolean {
  for (let current = pid, depth = 0; current && current !== '1' && depth < 5; depth++) {
    const ppid = /PPid:\s+(\d+)/.exec(readFileSync(`/proc/${current}/status`, 'utf8'))?.[1];
    if (!ppid) return false;
    try {
      const cmdline = readFileSync(`/proc/${ppid}/cmdline`, 'utf8');
      if (cmdline.includes(profileDir) && !cmdline.includes('--type=')) return true;
    } catch {
      return false;
    }
    current = ppid;
  }
  return false;
}
