/**
 * The CLI's runtime choice (issue 25 item 6): wasm when the model and the size fit its heap; else
 * onnxruntime-node, said on stderr, when it is installed; else ModelTooLargeError with the largest size.
 */
import { describe, expect, it } from 'vitest';
import { ModelTooLargeError } from '../core/errors.js';
import { DirectoryModelSource } from '../node/directory-source.js';
import { folderGeometry, openModelFolder } from '../engine/model/model-folder.js';
import { chooseRuntime, weightBytesOnDisk, type CliRuntime } from './runtime-choice.js';

const fakeCpu: CliRuntime = { ort: {} as CliRuntime['ort'], executionProviders: ['cpu'] };
const missing = (): CliRuntime => {
  throw new Error('Cannot find module onnxruntime-node');
};

describe('chooseRuntime', async () => {
  const dir = 'public/models/shapes-sd-fp32';
  const geometry = folderGeometry(await openModelFolder(new DirectoryModelSource(dir)));
  const needs = (side: number, weightBytes = 25e6) => ({ modelName: 'shapes-sd-fp32', geometry, width: side, height: side, batch: 2, weightBytes });

  it('reads the weights from disk', async () => {
    expect(await weightBytesOnDisk(dir)).toBeGreaterThan(20e6);
  });

  it('wasm when it fits, without a word', () => {
    const lines: string[] = [];
    expect(chooseRuntime(undefined, needs(512), (l) => lines.push(l), missing).executionProviders).toEqual(['wasm']);
    expect(lines).toEqual([]);
  });

  it('768x768: onnxruntime-node when installed, and it says so', () => {
    const lines: string[] = [];
    expect(chooseRuntime(undefined, needs(768), (l) => lines.push(l), () => fakeCpu)).toBe(fakeCpu);
    expect(lines).toEqual([expect.stringMatching(/^note: running on onnxruntime-node's CPU runtime, not wasm: shapes-sd-fp32 at 768x768 needs about /)]);
  });

  it('768x768 without onnxruntime-node, or with --runtime wasm: ModelTooLargeError naming the largest size', () => {
    expect(() => chooseRuntime(undefined, needs(768), () => undefined, missing)).toThrow(ModelTooLargeError);
    expect(() => chooseRuntime(undefined, needs(768), () => undefined, missing)).toThrow(/The largest size that fits is 704x704.*is not installed: npm install onnxruntime-node/);
    expect(() => chooseRuntime('wasm', needs(768), () => undefined, () => fakeCpu)).toThrow(/The largest size that fits is 704x704/);
  });

  it('weights over the heap (SD v1.4 fp32, 3.4 GB + 0.5 GB to run) move to onnxruntime-node too', () => {
    const lines: string[] = [];
    expect(chooseRuntime(undefined, needs(512, 3.9e9), (l) => lines.push(l), () => fakeCpu)).toBe(fakeCpu);
    expect(lines[0]).toMatch(/^note: running on onnxruntime-node's CPU runtime, not wasm: shapes-sd-fp32 has .* of weights; the wasm backend keeps them all in its heap/);
  });
});
