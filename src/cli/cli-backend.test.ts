/**
 * The CLI (onnxruntime-web wasm in Node) on a folder prepared for WebGPU: its UNet uses the fused
 * com.microsoft.BiasSplitGelu (tools/prepare_model.py --target webgpu writes it; no wasm or CPU
 * kernel). The user must read what the folder is and what to make instead, in one line, exit code 2;
 * not onnxruntime's "Failed to find kernel" nor "re-download it if it may be damaged".
 * The folder: the tiny fp32 fixture with fixtures/webgpu-ops/bias-split-gelu-fp32.onnx as its UNet.
 * And --runtime cpu (onnxruntime-node's CPU EP, for real-size portable folders) against diffusers'
 * reference image for the tiny fixture (fixtures/refs, make_fixtures.py), bound 2e-3 as cli.test.ts.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cli, cliFailure, readRefsManifest, refsCaseFlags } from '../testing/cli-run.js';
import { maxAbsDiff, readF32 } from '../testing/reference-data.js';

const dir = mkdtempSync(join(tmpdir(), 'sd-cli-webgpu-folder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('generate on a WebGPU-only folder says what the folder is and how to make a portable one (exit 2)', async () => {
  const folder = join(dir, 'webgpu-folder');
  cpSync('fixtures/tiny-sd-fp32', folder, { recursive: true });
  rmSync(join(folder, 'unet', 'weights.pb'));
  cpSync('fixtures/webgpu-ops/bias-split-gelu-fp32.onnx', join(folder, 'unet', 'model.onnx'));
  const failure = await cliFailure('generate', '--model', folder, '--prompt', 'x', '--seed', '1', '--steps', '1', '--out', join(dir, 'x.png'));
  const lines = failure.stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('npm warn'));
  expect(failure.code).toBe(2);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^BackendMismatchError: The unet model was prepared for WebGPU: it uses com\.microsoft\.BiasSplitGelu/);
  expect(lines[0]).toContain('--target portable');
  expect(lines[0]).not.toMatch(/re-download|may be damaged/);
}, 120_000);

it('--runtime cpu (onnxruntime-node) matches diffusers on the tiny fixture (raw image max abs <= 2e-3); an unknown runtime is exit 2', async () => {
  const manifest = readRefsManifest();
  const c = manifest.cases[0]!;
  const raw = join(dir, 'cpu.f32');
  await cli('generate', '--runtime', 'cpu', '--model', 'fixtures/tiny-sd-fp32', ...refsCaseFlags(manifest, c), '--out', join(dir, 'cpu.png'), '--raw', raw);
  const error = maxAbsDiff(readF32(raw), readF32(`fixtures/${c.image.file}`));
  console.log(`CLI --runtime cpu, ${c.scheduler}: raw image max abs ${error.toExponential(2)}`);
  expect(error).toBeLessThanOrEqual(2e-3);
  const bad = await cliFailure('generate', '--runtime', 'gpu', '--prompt', 'x', '--out', join(dir, 'bad.png'));
  expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--runtime must be wasm or cpu') });
}, 120_000);
