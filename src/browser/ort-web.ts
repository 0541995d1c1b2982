/**
 * onnxruntime-web for the browser (WebGPU EP, wasm EP as fallback). Its .wasm/.mjs runtime files are
 * served from our own origin under `<base>ort/` (see vite.config.ts), so the app works offline and
 * never reaches a CDN. Multi-threaded wasm needs cross-origin isolation; without it, one thread.
 */
import * as ort from 'onnxruntime-web/webgpu';
import type { OrtModule } from '../engine/runtime/ort.js';

export function webRuntime(baseUrl: string): OrtModule {
  ort.env.wasm.wasmPaths = new URL('ort/', new URL(baseUrl, self.location.href)).href;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  ort.env.wasm.numThreads = isolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  ort.env.logLevel = 'error';
  return ort;
}
