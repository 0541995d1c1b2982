/**
 * What this browser can run, detected before loading: WebGPU, its `shader-f16` feature and the
 * adapter's buffer limits. Plain words for what is missing and what to do.
 */
export interface Capabilities {
  webgpu: boolean;
  shaderF16: boolean;
  maxBufferSize: number | null;
  maxStorageBufferBindingSize: number | null;
  adapterInfo: string | null;
  /** Which backend the engine will use. */
  backend: 'webgpu' | 'wasm';
  /** Human explanation when something is missing, else null. */
  explanation: string | null;
}

interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<{
    features: { has(name: string): boolean };
    limits: { maxBufferSize: number; maxStorageBufferBindingSize: number };
    info?: { vendor?: string; architecture?: string; description?: string };
  } | null>;
}

export async function detectCapabilities(gpu: GpuLike | undefined = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu): Promise<Capabilities> {
  const none = (explanation: string): Capabilities => ({ webgpu: false, shaderF16: false, maxBufferSize: null, maxStorageBufferBindingSize: null, adapterInfo: null, backend: 'wasm', explanation });
  if (!gpu) {
    return none('This browser has no WebGPU. Use a recent Chrome or Edge (113+), or Safari 26+; in Firefox enable dom.webgpu.enabled. Until then the engine runs on the CPU (wasm), which is fine for the small demo model but far too slow for Stable Diffusion v1.4.');
  }
  let adapter: Awaited<ReturnType<GpuLike['requestAdapter']>>;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    adapter = null;
  }
  if (!adapter) {
    return none('WebGPU is present but no GPU adapter is available (blocklisted driver or GPU disabled). Check chrome://gpu, update the graphics driver, or enable chrome://flags/#enable-unsafe-webgpu. The engine falls back to the CPU (wasm).');
  }
  const shaderF16 = adapter.features.has('shader-f16');
  const info = adapter.info ? [adapter.info.vendor, adapter.info.architecture, adapter.info.description].filter(Boolean).join(' ') : null;
  return {
    webgpu: true,
    shaderF16,
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    adapterInfo: info || null,
    backend: 'webgpu',
    explanation: shaderF16 ? null : 'This GPU adapter lacks the shader-f16 feature, so fp16 models cannot run on it; the engine uses fp32 models (twice the download and memory). Software WebGPU (SwiftShader) never has it.',
  };
}
