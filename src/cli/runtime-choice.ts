/**
 * `--runtime`: which ONNX Runtime the CLI's engine runs on. wasm (onnxruntime-web, as in the browser; one
 * 4 GiB heap) or cpu (onnxruntime-node's CPU EP: reads external data itself, no heap limit). Without the
 * flag, wasm; when the engine refuses the model or the size on wasm (ModelTooLargeError from its fit
 * checks, before any session is made: model-fit.ts), onnxruntime-node when it is installed, said on
 * stderr, else that ModelTooLargeError (exit 2) with how to install it.
 */
import { InvalidRequestError, ModelTooLargeError } from '../core/errors.js';
import type { OrtModule } from '../engine/runtime/ort.js';
import { nativeRuntime } from '../node/ort-native.js';
import { wasmRuntime } from '../node/ort-node.js';

export interface CliRuntime {
  ort: OrtModule;
  backend: 'wasm' | 'cpu';
}

/** onnxruntime-node's CPU runtime (throws when the package is not installed). */
export const nativeCpu = (): CliRuntime => ({ ort: nativeRuntime('cpu').ort, backend: 'cpu' });

/** The runtime `--runtime` names (default wasm). */
export function cliRuntime(flag: string | undefined, native: () => CliRuntime = nativeCpu): CliRuntime {
  if (flag === undefined || flag === 'wasm') return { ort: wasmRuntime(), backend: 'wasm' };
  if (flag === 'cpu') return native();
  throw new InvalidRequestError(`--runtime must be wasm or cpu (got "${flag}").`);
}

/**
 * What to run on after `error` ended a run on `runtime` chosen by `flag`: onnxruntime-node's CPU runtime
 * when wasm was the default and could not fit (said through `warn`), else null (the error stands). A
 * ModelTooLargeError says how to install onnxruntime-node when it is missing.
 */
export function fallbackRuntime(
  flag: string | undefined,
  runtime: CliRuntime,
  error: unknown,
  warn: (line: string) => void,
  native: () => CliRuntime = nativeCpu,
): CliRuntime | null {
  if (flag !== undefined || runtime.backend !== 'wasm' || !(error instanceof ModelTooLargeError)) return null;
  let cpu: CliRuntime;
  try {
    cpu = native();
  } catch {
    throw new ModelTooLargeError(`${error.message} (onnxruntime-node, which has no such limit, is not installed: npm install onnxruntime-node.)`);
  }
  warn(`note: running on onnxruntime-node's CPU runtime, not wasm: ${error.message.split('. ')[0]}.`);
  return cpu;
}
