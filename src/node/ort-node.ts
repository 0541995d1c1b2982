/**
 * onnxruntime-web's wasm backend for Node (CLI, tests). Threads: the wasm backend runs
 * multi-threaded in Node without cross-origin isolation; we use all cores.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-web';
import type { OrtModule } from '../engine/runtime/ort.js';

let configured = false;

export function wasmRuntime(): OrtModule {
  if (!configured) {
    ort.env.wasm.numThreads = Math.max(1, availableParallelism());
    ort.env.logLevel = 'error';
    configured = true;
  }
  return ort;
}
