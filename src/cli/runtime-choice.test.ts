/**
 * The CLI's runtime choice (issue 25 item 6): the engine on wasm refuses a size whose attention cannot fit
 * its heap before any session loads (ModelTooLargeError naming the largest size that fits: 704x704 for
 * shapes-sd, measured: 736 and 768 fail with bad_alloc); the CLI then moves to onnxruntime-node when it is
 * installed, and says so, else keeps the refusal with how to install it. --runtime given: no move.
 */
import { describe, expect, it } from 'vitest';
import { ModelTooLargeError } from '../core/errors.js';
import { LocalEngine } from '../engine/local-engine.js';
import { DirectoryModelStore } from '../node/directory-store.js';
import { wasmRuntime } from '../node/ort-node.js';
import { fallbackRuntime, type CliRuntime } from './runtime-choice.js';
import { wasmOnlyCapabilities } from '../engine/runtime/capabilities.js';

const fakeCpu: CliRuntime = { ort: {} as CliRuntime['ort'], backend: 'cpu' };
const missing = (): CliRuntime => {
  throw new Error('Cannot find module onnxruntime-node');
};
const wasm: CliRuntime = { ort: wasmRuntime(), backend: 'wasm' };
const dir = 'public/models/shapes-sd-fp32';

async function loadOnWasm(side: number): Promise<unknown> {
  const engine = new LocalEngine({
    ...wasm,
    store: new DirectoryModelStore(),
    detect: async () => wasmOnlyCapabilities(null),
  });
  try {
    await engine.load({ id: dir, urls: { fp32: dir } }, { request: { prompt: 'x', seed: 1, width: side, height: side } });
    return null;
  } catch (error) {
    return error;
  } finally {
    await engine.dispose();
  }
}

describe('the CLI on wasm, then onnxruntime-node', () => {
  it('512x512 loads on wasm', async () => {
    expect(await loadOnWasm(512)).toBeNull();
  });

  it('768x768: the engine refuses it on wasm before any session, naming the largest size', async () => {
    const error = await loadOnWasm(768);
    expect(error).toBeInstanceOf(ModelTooLargeError);
    expect((error as Error).message).toMatch(/The largest size that fits is 704x704/);
  });

  it('then onnxruntime-node when installed, and it says so; without it, the refusal with how to install it', async () => {
    const tooLarge = (await loadOnWasm(768)) as ModelTooLargeError;
    const lines: string[] = [];
    expect(
      fallbackRuntime(
        undefined,
        wasm,
        tooLarge,
        (l) => lines.push(l),
        () => fakeCpu,
      ),
    ).toBe(fakeCpu);
    expect(lines).toEqual([expect.stringMatching(/^note: running on onnxruntime-node's CPU runtime, not wasm: shapes-sd-fp32 at 768x768 needs about /)]);
    expect(() => fallbackRuntime(undefined, wasm, tooLarge, () => undefined, missing)).toThrow(
      /The largest size that fits is 704x704.*is not installed: npm install onnxruntime-node/,
    );
  });

  it('no move with --runtime given, on cpu, or for another error', async () => {
    const tooLarge = (await loadOnWasm(768)) as ModelTooLargeError;
    /** The choice when onnxruntime-node is installed, its notes dropped. */
    const withCpu = (given: 'wasm' | undefined, current: CliRuntime, error: unknown) =>
      fallbackRuntime(
        given,
        current,
        error,
        () => undefined,
        () => fakeCpu,
      );
    expect(withCpu('wasm', wasm, tooLarge)).toBeNull();
    expect(withCpu(undefined, fakeCpu, tooLarge)).toBeNull();
    expect(withCpu(undefined, wasm, new Error('other'))).toBeNull();
  });
});
