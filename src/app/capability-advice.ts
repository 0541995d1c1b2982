/**
 * Whether the selected model can run here, decided before anything is downloaded, in plain words.
 *
 * - No WebGPU: the engine runs on the CPU (wasm). Fine for the bundled demo; a model above
 *   WASM_MAX_MODEL_BYTES is refused: wasm32 addresses at most 4 GiB (SD v1.4 fp32 is 4.3 GB of
 *   weights alone) and a 512x512 UNet step on the CPU takes minutes.
 * - WebGPU: the biggest single buffer SD v1 asks for is the attention score matrix of its first
 *   transformer block, batch x heads x tokens x tokens with tokens = (W/8)(H/8): at 512x512 with
 *   classifier-free guidance 2 x 8 x 4096 x 4096 floats, 1 GiB in fp32 (512 MiB in fp16). An adapter
 *   whose maxBufferSize is smaller will fail mid-run, so we warn and suggest a smaller size.
 */
import type { Capabilities } from '../engine/runtime/capabilities.js';
import { shaderF16Message } from '../engine/runtime/model-fit.js';
import { choosePrecision } from '../engine/model/model-spec.js';
import type { ModelPreset } from '../presets/model-preset.js';
import { formatBytes } from '../core/format-bytes.js';

export const WASM_MAX_MODEL_BYTES = 512 * 1024 * 1024;
/** SD v1's attention heads in the highest-resolution transformer blocks. */
const SD_V1_HEADS = 8;

export type AdviceLevel = 'ok' | 'warn' | 'refuse';

export interface ModelAdvice {
  level: AdviceLevel;
  /** null when there is nothing to say. */
  message: string | null;
}

/** Bytes of the largest attention buffer SD v1 needs at this size (see the file comment). */
export function attentionBufferBytes(width: number, height: number, bytesPerFloat: number, batch = 2): number {
  const tokens = (width / 8) * (height / 8);
  return batch * SD_V1_HEADS * tokens * tokens * bytesPerFloat;
}

export function adviseModel(caps: Capabilities, spec: ModelPreset, size: { width: number; height: number }): ModelAdvice {
  const precision = choosePrecision(spec, caps.backend === 'webgpu' && caps.shaderF16);
  const modelBytes = spec.sizeBytes?.[precision];

  if (caps.backend === 'wasm') {
    if (modelBytes === undefined) {
      return {
        level: 'warn',
        message: `Without WebGPU this model would run on the CPU, and its size is unknown: only small models (under ${formatBytes(WASM_MAX_MODEL_BYTES)}) run there in reasonable time.`,
      };
    }
    if (modelBytes > WASM_MAX_MODEL_BYTES) {
      return {
        level: 'refuse',
        message: `${spec.label} (${formatBytes(modelBytes)}) is too big for the CPU (wasm) backend, which this browser would have to use without WebGPU: wasm can address at most 4 GiB and each step would take minutes. Open this page in a browser with WebGPU (Chrome or Edge 113+, Safari 26+) on a machine with a GPU, or use the bundled demo model.`,
      };
    }
    return { level: 'ok', message: null };
  }

  // Without shader-f16 only fp32 runs (src/engine/runtime/model-fit.ts refuses fp16 graphs before their weights download).
  if (!caps.shaderF16 && precision === 'fp16') {
    return { level: 'refuse', message: shaderF16Message(spec.label) };
  }
  const needed = attentionBufferBytes(size.width, size.height, precision === 'fp16' ? 2 : 4);
  if (caps.maxBufferSize !== null && needed > caps.maxBufferSize) {
    return {
      level: 'warn',
      message: `At ${size.width}x${size.height} this model needs a GPU buffer of about ${formatBytes(needed)}, but this GPU allows at most ${formatBytes(caps.maxBufferSize)}: generation will probably fail. Try a smaller size${precision === 'fp32' ? ' or a GPU with shader-f16 (fp16 halves it)' : ''}.`,
    };
  }
  if (!caps.shaderF16 && spec.askUrl) {
    return {
      level: 'warn',
      message: `This GPU lacks shader-f16, so ${spec.label} needs an fp32 folder here (tools/prepare_model.py --target portable or --fp32: ${modelBytes ? `about ${formatBytes(modelBytes)}` : 'twice the fp16 size'} to download and as much GPU memory); an fp16 folder is refused once its graphs are read, before its weights download.`,
    };
  }
  return { level: 'ok', message: null };
}

/** One line for the banner's details: what was detected. */
export function describeCapabilities(caps: Capabilities): string {
  if (!caps.webgpu) return 'Backend: CPU (wasm). WebGPU: not available.';
  const parts = [
    `Backend: WebGPU${caps.adapterInfo ? ` (${caps.adapterInfo})` : ''}`,
    `shader-f16: ${caps.shaderF16 ? 'yes (fp16 models)' : 'no (fp32 models)'}`,
  ];
  if (caps.maxBufferSize !== null) parts.push(`largest buffer: ${formatBytes(caps.maxBufferSize)}`);
  if (caps.maxStorageBufferBindingSize !== null) parts.push(`largest storage binding: ${formatBytes(caps.maxStorageBufferBindingSize)}`);
  return `${parts.join(' · ')}.`;
}
