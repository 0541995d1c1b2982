/**
 * Which ORT backend runs a model here. WebGPU when the browser has a hardware adapter; but a
 * software adapter (SwiftShader, llvmpipe: `Capabilities.softwareAdapter`) runs WebGPU's shaders on
 * the CPU far slower than onnxruntime's wasm kernels (issue 12: the 128x128 demo took 79 s for 10
 * steps on SwiftShader, 2.5 s for 20 on wasm), so small models run on wasm there unless the user
 * forces WebGPU. Large models stay on WebGPU: wasm32 cannot address them (capability-advice.ts).
 */
import type { Capabilities } from './capabilities.js';
import type { ModelSpec } from '../model/model-spec.js';

/** 'auto': the choice below; 'webgpu' / 'wasm': the user's setting (WebGPU only where it exists). */
export type BackendPreference = 'auto' | 'webgpu' | 'wasm';

/** Models up to this size count as small: they fit wasm's memory and run there in seconds. */
export const SMALL_MODEL_BYTES = 512 * 1024 * 1024;

export interface BackendChoice {
  backend: 'webgpu' | 'wasm';
  /** Why the engine did not take the browser's best backend, for the UI; null when it did. */
  reason: string | null;
}

/** Whether every known precision of the model is small; a model of unknown size is not. */
export function isSmallModel(spec: Pick<ModelSpec, 'sizeBytes'>): boolean {
  const sizes = Object.values(spec.sizeBytes ?? {});
  return sizes.length > 0 && sizes.every((bytes) => bytes <= SMALL_MODEL_BYTES);
}

export function chooseBackend(caps: Capabilities, spec: Pick<ModelSpec, 'sizeBytes'>, preference: BackendPreference = 'auto'): BackendChoice {
  if (caps.backend === 'wasm') return { backend: 'wasm', reason: null };
  if (preference === 'webgpu') return { backend: 'webgpu', reason: null };
  if (preference === 'wasm') return { backend: 'wasm', reason: 'The CPU (wasm) backend was chosen in the settings.' };
  if (caps.softwareAdapter && isSmallModel(spec)) {
    return {
      backend: 'wasm',
      reason:
        'WebGPU here is a software renderer (no usable GPU), much slower than the CPU (wasm) for this small model. "Use WebGPU even on a software GPU" in the model settings forces it.',
    };
  }
  return { backend: 'webgpu', reason: null };
}
