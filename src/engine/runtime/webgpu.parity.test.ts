/**
 * The engine on WebGPU against the engine on wasm, the same request on the fp32 tiny fixture, with
 * GPU-resident UNet inputs (the text embeddings are uploaded once per generation and stay on the
 * GPU). WebGPU here is onnxruntime-node's WebGPU EP: the same WGSL kernels onnxruntime-web runs in
 * the browser, on Vulkan.
 *
 * Tolerance: final latents relative L2 <= 1e-4 (measured 8.3e-6 on SwiftShader with onnxruntime-node
 * 1.30 for this request; the wasm path itself matches diffusers to ~1e-6, pipeline.test.ts).
 *
 * Needs Vulkan: a real driver (VK_ICD_FILENAMES or VK_DRIVER_FILES set, as .gpu/setup.sh does) or
 * SwiftShader from Debian's chromium package; skipped, with the reason in the test name, otherwise.
 * The WebGPU side runs the benchmark command in a child process, because the Vulkan loader's search
 * path (LD_LIBRARY_PATH) only counts when set before the process starts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryModelSource } from '../../node/directory-source.js';
import { wasmRuntime } from '../../node/ort-node.js';
import { readF32, relativeL2 } from '../../testing/reference-data.js';
import { StableDiffusionPipeline } from '../pipeline.js';

const SWIFTSHADER_DIR = '/usr/lib/chromium';
const SWIFTSHADER_ICD = `${SWIFTSHADER_DIR}/vk_swiftshader_icd.json`;

function vulkanEnvironment(): { ok: true; env: NodeJS.ProcessEnv; device: string } | { ok: false; reason: string } {
  try {
    createRequire(import.meta.url).resolve('onnxruntime-node');
  } catch {
    return { ok: false, reason: 'onnxruntime-node is not installed' };
  }
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES)
    return { ok: true, env: process.env, device: 'the Vulkan driver in VK_ICD_FILENAMES/VK_DRIVER_FILES' };
  if (existsSync(SWIFTSHADER_ICD)) {
    const libraryPath = [SWIFTSHADER_DIR, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
    return { ok: true, env: { ...process.env, LD_LIBRARY_PATH: libraryPath, VK_ICD_FILENAMES: SWIFTSHADER_ICD }, device: 'SwiftShader' };
  }
  return { ok: false, reason: `no Vulkan: set VK_ICD_FILENAMES, or install Debian's chromium (SwiftShader at ${SWIFTSHADER_ICD})` };
}

const vulkan = vulkanEnvironment();
const request = {
  prompt: 'a red circle on a blue background',
  negativePrompt: '',
  scheduler: 'ddim' as const,
  numInferenceSteps: 2,
  guidanceScale: 7.5,
  seed: 3,
  width: 64,
  height: 64,
};

describe('WebGPU (onnxruntime-node) against wasm, tiny-sd-fp32', () => {
  it.skipIf(!vulkan.ok)(
    `final latents relative L2 <= 1e-4, embeddings uploaded once${vulkan.ok ? '' : ` (skipped: ${vulkan.reason})`}`,
    async () => {
      if (!vulkan.ok) return;
      const dir = mkdtempSync(join(tmpdir(), 'sd-webgpu-'));
      try {
        const out = join(dir, 'latents.f32');
        const args = [
          '--import',
          'tsx',
          'bench/pipeline-bench.ts',
          '--model',
          'fixtures/tiny-sd-fp32',
          '--runtime',
          'node-webgpu',
          '--prompt',
          request.prompt,
          '--negative-prompt',
          request.negativePrompt,
          '--scheduler',
          request.scheduler,
          '--steps',
          String(request.numInferenceSteps),
          '--guidance',
          String(request.guidanceScale),
          '--seed',
          String(request.seed),
          '--width',
          String(request.width),
          '--height',
          String(request.height),
          '--warmup',
          '0',
          '--latents-out',
          out,
        ];
        const child = spawnSync(process.execPath, args, { env: vulkan.env, encoding: 'utf8', timeout: 240_000 });
        const line = child.stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
        expect(line, `the WebGPU run failed (exit ${child.status}):\n${child.stderr.slice(-2000)}`).toBeDefined();
        const bench = JSON.parse(line!.slice('BENCH_JSON '.length)) as { engine: { uploads: number } };

        const pipeline = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource('fixtures/tiny-sd-fp32'), { executionProviders: ['wasm'] });
        let wasm: Float32Array;
        try {
          wasm = (await pipeline.generate(request)).latents;
        } finally {
          await pipeline.dispose();
        }
        const error = relativeL2(readF32(out), wasm);
        console.log(`WebGPU (${vulkan.device}) vs wasm: final latents rel L2 ${error.toExponential(2)}, GPU uploads ${bench.engine.uploads}`);
        expect(error).toBeLessThanOrEqual(1e-4);
        expect(bench.engine.uploads).toBe(1); // [uncond ‖ cond] embeddings, once for both steps
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    300_000,
  );
});
