/**
 * What this browser can run, detected before loading: WebGPU, its `shader-f16` feature, the
 * adapter's buffer limits, and whether the adapter is a software renderer. Plain words for what is
 * missing and what to do.
 */
export interface Capabilities {
  webgpu: boolean;
  /**
   * The WebGPU adapter renders in software on the CPU (`isFallbackAdapter`, or SwiftShader /
   * llvmpipe / lavapipe in its info): much slower than the wasm backend for small models
   * (backend-choice.ts).
   */
  softwareAdapter: boolean;
  shaderF16: boolean;
  maxBufferSize: number | null;
  maxStorageBufferBindingSize: number | null;
  adapterInfo: string | null;
  /** The best backend this browser has (the one used for large models; see backend-choice.ts for small ones). */
  backend: 'webgpu' | 'wasm';
  /** Human explanation when something is missing, else null. */
  explanation: string | null;
}

interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<{
    features: { has(name: string): boolean };
    limits: { maxBufferSize: number; maxStorageBufferBindingSize: number };
    /** `GPUAdapterInfo.isFallbackAdapter` (Chrome 131+); older browsers had it on the adapter. */
    info?: { vendor?: string; architecture?: string; description?: string; device?: string; isFallbackAdapter?: boolean };
    isFallbackAdapter?: boolean;
  } | null>;
}

/** Software Vulkan / WebGPU implementations as they name themselves in adapter info. */
const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|lavapipe|softpipe|warp|microsoft basic render/i;

/** No WebGPU here (Node, an old browser): the engine runs on wasm; `explanation` says why. */
export function wasmOnlyCapabilities(explanation: string | null): Capabilities {
  return {
    webgpu: false,
    softwareAdapter: false,
    shaderF16: false,
    maxBufferSize: null,
    maxStorageBufferBindingSize: null,
    adapterInfo: null,
    backend: 'wasm',
    explanation,
  };
}

export async function detectCapabilities(gpu: GpuLike | undefined = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu): Promise<Capabilities> {
  const none = wasmOnlyCapabilities;
  if (!gpu) {
    return none(
      'This browser has no WebGPU. Use a recent Chrome or Edge (113+), or Safari 26+; in Firefox enable dom.webgpu.enabled. Until then the engine runs on the CPU (wasm), which is fine for the small demo model but far too slow for Stable Diffusion v1.4.',
    );
  }
  let adapter: Awaited<ReturnType<GpuLike['requestAdapter']>>;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    adapter = null;
  }
  if (!adapter) {
    return none(
      'WebGPU is present but no GPU adapter is available (blocklisted driver or GPU disabled). Check chrome://gpu, update the graphics driver, or enable chrome://flags/#enable-unsafe-webgpu. The engine falls back to the CPU (wasm).',
    );
  }
  const shaderF16 = adapter.features.has('shader-f16');
  const info = adapter.info ? [adapter.info.vendor, adapter.info.architecture, adapter.info.device, adapter.info.description].filter(Boolean).join(' ') : null;
  const softwareAdapter = !!(adapter.info?.isFallbackAdapter || adapter.isFallbackAdapter || (info && SOFTWARE_RENDERERS.test(info)));
  const explanations = [
    softwareAdapter
      ? 'This WebGPU adapter is a software renderer on the CPU (no usable GPU): small models run on the CPU (wasm) instead, which is much faster; the model settings can force WebGPU.'
      : null,
    shaderF16
      ? null
      : 'This GPU adapter lacks the shader-f16 feature, so fp16 models cannot run on it; the engine uses fp32 models (twice the download and memory). Software WebGPU (SwiftShader) never has it.',
  ].filter((line): line is string => line !== null);
  return {
    webgpu: true,
    softwareAdapter,
    shaderF16,
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    adapterInfo: info || null,
    backend: 'webgpu',
    explanation: explanations.length > 0 ? explanations.join(' ') : null,
  };
}
