/**
 * The CLI (onnxruntime-web wasm in Node) on a folder prepared for WebGPU: its UNet uses the fused
 * com.microsoft.BiasSplitGelu (tools/prepare_model.py --target webgpu writes it; no wasm or CPU
 * kernel). The user must read what the folder is and what to make instead, in one line, exit code 2;
 * not onnxruntime's "Failed to find kernel" nor "re-download it if it may be damaged".
 * The folder: the tiny fp32 fixture with fixtures/webgpu-ops/bias-split-gelu-fp32.onnx as its UNet.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'sd-cli-webgpu-folder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('generate on a WebGPU-only folder says what the folder is and how to make a portable one (exit 2)', async () => {
  const folder = join(dir, 'webgpu-folder');
  cpSync('fixtures/tiny-sd-fp32', folder, { recursive: true });
  rmSync(join(folder, 'unet', 'weights.pb'));
  cpSync('fixtures/webgpu-ops/bias-split-gelu-fp32.onnx', join(folder, 'unet', 'model.onnx'));
  const failure = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'generate', '--model', folder, '--prompt', 'x', '--seed', '1', '--steps', '1', '--out', join(dir, 'x.png')])
    .then(() => null, (error: { code: number; stderr: string }) => error);
  expect(failure).not.toBeNull();
  const lines = failure!.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'));
  expect(failure!.code).toBe(2);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^BackendMismatchError: The unet model was prepared for WebGPU: it uses com\.microsoft\.BiasSplitGelu/);
  expect(lines[0]).toContain('--target portable');
  expect(lines[0]).not.toMatch(/re-download|may be damaged/);
}, 120_000);
