/**
 * Runs tools/bench_diffusers.py (PyTorch + diffusers, the reference implementation) in the same
 * command, on the same machine, with the same request, and reads its JSON result. Where Python,
 * torch or diffusers are missing it returns why, in one sentence, instead of numbers.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** What bench_diffusers.py prints on its last `TORCH_JSON ` line (ms unless named otherwise). */
export interface TorchResult {
  torch: string;
  diffusers: string;
  device: string;
  dtype: string;
  weights: string;
  load_ms: number;
  text_encoder_ms: number;
  step_ms: number[];
  vae_decode_ms: number;
  total_ms: number;
  peak_gpu_mem_mib: number | null;
  peak_rss_mib: number;
}

export interface TorchRequest {
  python: string;
  modelDir: string;
  /** A saved diffusers checkpoint; without it the script builds the model's architecture with random weights (seed 0). */
  checkpoint?: string;
  device?: string;
  dtype: 'fp16' | 'fp32';
  steps: number;
  width: number;
  height: number;
  warmup: number;
  guidance: number;
  scheduler: string;
  prompt: string;
  negativePrompt: string;
  seed: number;
  latentsIn?: string;
  latentsOut?: string;
  /** Where the decoded image goes (raw float32 NCHW in [0, 1]). */
  imageOut?: string;
}

export async function runTorchBench(request: TorchRequest): Promise<{ ok: true; result: TorchResult } | { ok: false; reason: string }> {
  // Relative to the working directory (the repository root, also for the GPU bundle in .gpu/).
  const script = join(process.cwd(), 'tools', 'bench_diffusers.py');
  if (!existsSync(script)) return { ok: false, reason: `${script} not found: run the benchmark from the repository root` };
  const args = [
    script,
    '--steps',
    String(request.steps),
    '--width',
    String(request.width),
    '--height',
    String(request.height),
    '--warmup',
    String(request.warmup),
    '--guidance',
    String(request.guidance),
    '--scheduler',
    request.scheduler,
    '--prompt',
    request.prompt,
    '--negative-prompt',
    request.negativePrompt,
    '--seed',
    String(request.seed),
    '--dtype',
    request.dtype,
  ];
  if (request.device) args.push('--device', request.device);
  if (request.latentsIn) args.push('--latents-in', request.latentsIn);
  if (request.latentsOut) args.push('--latents-out', request.latentsOut);
  if (request.imageOut) args.push('--image-out', request.imageOut);
  if (request.checkpoint) {
    args.push('--checkpoint', request.checkpoint);
  } else {
    // The engine's model folder says which architecture to build: the tiny fixtures ship their config.
    const tiny = join(request.modelDir, 'tiny_config.json');
    args.push(...(existsSync(tiny) ? ['--random', 'tiny', '--tiny-config', tiny] : ['--random', 'sd14']));
    args.push('--tokenizer', join(request.modelDir, 'tokenizer'));
  }
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(request.python, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    } catch (error) {
      resolve({ ok: false, reason: `could not start ${request.python}: ${(error as Error).message}` });
      return;
    }
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      process.stderr.write(
        chunk
          .split('\n')
          .filter((l) => l && !l.startsWith('TORCH_JSON ') && !l.startsWith('TORCH_UNAVAILABLE '))
          .map((l) => `  [torch] ${l}\n`)
          .join(''),
      );
    });
    child.on('error', (error) => resolve({ ok: false, reason: `could not start ${request.python}: ${error.message}` }));
    child.on('close', (code) => {
      const line = stdout
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('TORCH_JSON ') || l.startsWith('TORCH_UNAVAILABLE '));
      if (line?.startsWith('TORCH_JSON ')) resolve({ ok: true, result: JSON.parse(line.slice('TORCH_JSON '.length)) as TorchResult });
      else if (line) resolve({ ok: false, reason: line.slice('TORCH_UNAVAILABLE '.length) });
      else resolve({ ok: false, reason: `tools/bench_diffusers.py exited with code ${code} without a result (see its output above)` });
    });
  });
}
