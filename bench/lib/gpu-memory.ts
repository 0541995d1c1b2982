/**
 * Peak GPU memory while the benchmark runs, sampled with `nvidia-smi` (every 100 ms, whole device)
 * where it exists. WebGPU exposes no memory counters, so this is the number there is; it includes
 * Dawn's and ORT's allocators, not only tensors.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export class GpuMemorySampler {
  private child: ChildProcess | null = null;
  private peakMiB = 0;
  readonly baselineMiB: number | null;
  readonly name: string | null;

  private constructor(baseline: number | null, name: string | null) {
    this.baselineMiB = baseline;
    this.name = name;
  }

  /** Starts sampling when nvidia-smi answers; otherwise a sampler that reports null. */
  static start(): GpuMemorySampler {
    const probe = spawnSync('nvidia-smi', ['--query-gpu=memory.used,name', '--format=csv,noheader,nounits', '-i', '0'], { encoding: 'utf8' });
    if (probe.status !== 0 || !probe.stdout) return new GpuMemorySampler(null, null);
    const [used, name] = probe.stdout.trim().split(/,\s*/);
    const sampler = new GpuMemorySampler(Number(used), name ?? null);
    sampler.peakMiB = Number(used);
    const child = spawn('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits', '-i', '0', '-lms', '100'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        const v = Number(line.trim());
        if (line.trim() && Number.isFinite(v)) sampler.peakMiB = Math.max(sampler.peakMiB, v);
      }
    });
    child.on('error', () => undefined);
    sampler.child = child;
    return sampler;
  }

  /** Stops sampling; returns peak device memory in MiB and the rise over the start, or null without nvidia-smi. */
  stop(): { peakMiB: number; deltaMiB: number } | null {
    this.child?.kill();
    this.child = null;
    if (this.baselineMiB === null) return null;
    return { peakMiB: this.peakMiB, deltaMiB: this.peakMiB - this.baselineMiB };
  }
}
