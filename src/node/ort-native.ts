/**
 * onnxruntime-node for Node: its native library carries the CPU EP and the WebGPU EP (Dawn on
 * Vulkan), the same WebGPU kernels that onnxruntime-web's `webgpu` build runs in the browser. The GPU
 * benchmark uses it where no browser exists (bench/README.md); locally WebGPU runs on SwiftShader.
 *
 * It is an optional peer dependency of the package (package.json: most users run the wasm backend
 * and need not download its native binaries; on the GPU machine it comes through NODE_PATH, see
 * ../shared/gpu/setup.sh), so it is loaded at run time with createRequire (it is CommonJS) and a
 * missing package is an error that says where to get it.
 */
import { createRequire } from 'node:module';
import { WebGpuUnavailableError } from '../core/errors.js';
import { writeModelFolder } from './model-folder-write.js';
import { identityModel, type OrtModule, type OrtSessionOptions } from '../engine/runtime/ort.js';

export type NativeBackend = 'webgpu' | 'cpu';

export interface NativeRuntime {
  ort: OrtModule;
  /** The package version, e.g. "1.30.0". */
  version: string;
  executionProviders: OrtSessionOptions['executionProviders'];
}

const require = createRequire(import.meta.url);

/** Loads onnxruntime-node once; throws WebGpuUnavailableError (with what to do) when it is missing. */
export function nativeRuntime(provider: NativeBackend): NativeRuntime {
  let ort: OrtModule & { env: { logLevel?: string } };
  let version: string;
  try {
    ort = require('onnxruntime-node') as typeof ort;
    version = (require('onnxruntime-node/package.json') as { version: string }).version;
  } catch (error) {
    throw new WebGpuUnavailableError(
      `onnxruntime-node could not be loaded (${(error as Error).message.split('\n')[0]}). ` +
        'Install it (`npm install onnxruntime-node`, an optional peer dependency), or on the GPU machine `source .gpu/setup.sh` so that NODE_PATH finds it.',
    );
  }
  ort.env.logLevel = 'error';
  // It opens model files by path and reads their external data itself (any size, no JavaScript buffers).
  // A model in memory with external data (LoRAs merged) is laid out in a temporary folder for it.
  return {
    ort: { InferenceSession: ort.InferenceSession, Tensor: ort.Tensor, opensModelFiles: true, writeModelFolder },
    version,
    executionProviders: [provider],
  };
}

/**
 * Throws WebGpuUnavailableError, saying what to set, when the WebGPU EP cannot start here (no Vulkan
 * driver found): creates and releases a one-node session on it.
 */
export async function assertNativeWebGpu(ort: OrtModule): Promise<void> {
  try {
    const session = await ort.InferenceSession.create(identityModel('float32'), { executionProviders: ['webgpu'] });
    await session.release();
  } catch (error) {
    throw new WebGpuUnavailableError(
      `onnxruntime-node's WebGPU EP could not start (${(error as Error).message.split('\n')[0]}). It needs a Vulkan driver: ` +
        'on the GPU machine `source .gpu/setup.sh`; without a GPU use SwiftShader: LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json',
    );
  }
}
