/**
 * `--runtime`: which ONNX Runtime the CLI runs on. wasm (onnxruntime-web, as in the browser; one 4 GiB
 * heap) or cpu (onnxruntime-node's CPU EP: reads external data itself, no heap limit). Without the flag,
 * wasm, unless the model's weights or the attention at the requested size cannot fit its heap
 * (model-fit.ts): then onnxruntime-node when it is installed, saying so on stderr, else
 * ModelTooLargeError (exit 2) with the largest size that fits, before any session is created.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidRequestError, ModelTooLargeError } from '../core/errors.js';
import { formatBytes } from '../core/format-bytes.js';
import type { ModelGeometry } from '../engine/model/model-geometry.js';
import { checkActivations, WASM_HEADROOM, WASM_HEAP_BYTES } from '../engine/runtime/model-fit.js';
import type { OrtModule, OrtSessionOptions } from '../engine/runtime/ort.js';
import { nativeRuntime } from '../node/ort-native.js';
import { wasmRuntime } from '../node/ort-node.js';

export interface CliRuntime {
  ort: OrtModule;
  executionProviders: OrtSessionOptions['executionProviders'];
}

/** What the choice needs to know about the run. */
export interface RuntimeNeeds {
  modelName: string;
  geometry: ModelGeometry;
  width: number;
  height: number;
  /** 2 with classifier-free guidance, else 1. */
  batch: number;
  /** Bytes of the weights every session loads (model.onnx and external data of text_encoder, unet, vae_decoder). */
  weightBytes: number;
}

/** Why the wasm heap cannot run this, or null. */
export function wasmProblem(needs: RuntimeNeeds): ModelTooLargeError | null {
  const { modelName, geometry, width, height, batch, weightBytes } = needs;
  if (weightBytes + WASM_HEADROOM > WASM_HEAP_BYTES) {
    return new ModelTooLargeError(
      `${modelName} has ${formatBytes(weightBytes)} of weights; the wasm backend keeps them all in its heap, which holds at most ${formatBytes(WASM_HEAP_BYTES)} ` +
        `(with ${formatBytes(WASM_HEADROOM)} needed to run). Use --runtime cpu (onnxruntime-node) or a smaller (fp16) export.`,
    );
  }
  try {
    checkActivations(modelName, geometry, width, height, batch, { backend: 'wasm' }, weightBytes);
    return null;
  } catch (error) {
    if (error instanceof ModelTooLargeError) return error;
    throw error;
  }
}

/** The runtime for `flag` and the run's needs; `native` loads onnxruntime-node (throws when it is not installed). */
export function chooseRuntime(flag: string | undefined, needs: RuntimeNeeds, warn: (line: string) => void, native: () => CliRuntime = () => nativeRuntime('cpu')): CliRuntime {
  if (flag === 'cpu') return native();
  if (flag !== undefined && flag !== 'wasm') throw new InvalidRequestError(`--runtime must be wasm or cpu (got "${flag}").`);
  const problem = wasmProblem(needs);
  if (problem === null) return { ort: wasmRuntime(), executionProviders: ['wasm'] };
  if (flag === 'wasm') throw problem;
  let cpu: CliRuntime;
  try {
    cpu = native();
  } catch {
    throw new ModelTooLargeError(`${problem.message} (onnxruntime-node, which has no such limit, is not installed: npm install onnxruntime-node.)`);
  }
  warn(`note: running on onnxruntime-node's CPU runtime, not wasm: ${problem.message.split('. ')[0]}.`);
  return cpu;
}

/** Bytes of the files (all but .json) in the folders of the parts every run loads. */
export async function weightBytesOnDisk(modelDir: string): Promise<number> {
  let total = 0;
  for (const part of ['text_encoder', 'unet', 'vae_decoder']) {
    const entries = await readdir(join(modelDir, part)).catch(() => [] as string[]);
    for (const name of entries) if (!name.endsWith('.json')) total += (await stat(join(modelDir, part, name)).catch(() => null))?.size ?? 0;
  }
  return total;
}
