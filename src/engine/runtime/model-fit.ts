/**
 * Whether a model folder can run on a backend, decided from what its graphs and file sizes say,
 * before its weights are downloaded or handed to ONNX Runtime. Each refusal names the limit, the
 * sizes and what to do instead:
 *
 * - operators: tools/prepare_model.py's `webgpu` target fuses SD's attention, GroupNorm and GEGLU
 *   into com.microsoft operators (BiasSplitGelu, BiasAdd, GroupNorm, ...) that only onnxruntime's
 *   WebGPU (and CUDA) kernels implement; the wasm backend and the CPU EP have none.
 * - shader-f16: an fp16 graph on WebGPU needs the adapter's `shader-f16` feature.
 * - the wasm heap: wasm32 addresses 4 GiB; onnxruntime-web copies every weight of every session
 *   into it, and the runtime, activations and the model protobufs need room too (WASM_HEADROOM).
 * - GPU buffers: each initializer becomes one GPU buffer bound as storage, so the largest weight
 *   tensor must fit both `maxBufferSize` and `maxStorageBufferBindingSize`.
 * - activations (per request size, wasm): the UNet's self-attention scores grow with the fourth power
 *   of the side and must fit the heap beside the weights (checkActivations).
 */
import { BackendMismatchError, ModelTooLargeError, ShaderF16UnsupportedError } from '../../core/errors.js';
import { formatBytes } from '../../core/format-bytes.js';
import type { ModelPart } from '../model/model-folder.js';
import { SD_V1_ATTENTION, type ModelGeometry } from '../model/model-geometry.js';
import { summarizeGraph, type GraphSummary, type OnnxOperator } from '../../core/onnx/graph.js';

export type Backend = 'webgpu' | 'wasm' | 'cpu';

export interface BackendTarget {
  backend: Backend;
  /** WebGPU only: whether the adapter has `shader-f16`. */
  shaderF16?: boolean;
  maxBufferSize?: number | null;
  maxStorageBufferBindingSize?: number | null;
}

/** One part of a folder as planned: its graph and the bytes of model.onnx plus its external data. */
export interface PartPlan {
  part: ModelPart;
  bytes: number;
  graph: GraphSummary;
}

/** wasm32's address space: onnxruntime-web's heap can grow to 4 GiB and no further. */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;
/** Room the runtime needs besides the weights: code, arena, activations (2 x 4 x 64 x 64 UNet at 512x512), protobuf copies. */
export const WASM_HEADROOM = 512 * 1024 ** 2;

/**
 * com.microsoft operators that only onnxruntime's GPU EPs (WebGPU, CUDA) implement: what
 * onnxruntime's transformer optimizer writes for SD's UNet and VAE. (Attention, MultiHeadAttention,
 * SkipLayerNormalization, FastGelu... have CPU kernels in float32 and are not listed.)
 */
export const GPU_ONLY_OPERATORS: ReadonlySet<string> = new Set(['BiasSplitGelu', 'BiasAdd', 'GroupNorm', 'SkipGroupNorm', 'NhwcConv']);

const BACKEND_LABEL: Record<Backend, string> = {
  webgpu: 'WebGPU',
  wasm: "onnxruntime-web's wasm (CPU)",
  cpu: "onnxruntime-node's CPU",
};

/** Which backend a provider list runs on (the first it names). */
export function backendOf(providers: readonly (string | { name: string })[] | undefined): Backend {
  const names = (providers ?? []).map((p) => (typeof p === 'string' ? p : p.name));
  if (names.includes('webgpu')) return 'webgpu';
  if (names.includes('cpu')) return 'cpu';
  return 'wasm';
}

const opName = (op: OnnxOperator) => (op.domain ? `${op.domain}.${op.opType}` : op.opType);

/** The "use this instead" sentence for a folder made for WebGPU. */
export const PORTABLE_ADVICE =
  'Load this folder in a browser with WebGPU, or make a portable folder for the CPU with tools/prepare_model.py --target portable (no WebGPU-only fusions).';

/** Throws BackendMismatchError when the graph uses operators `backend` has no kernel for. */
export function checkOperators(label: string, graph: GraphSummary, backend: Backend): void {
  if (backend === 'webgpu') return;
  const gpuOnly = graph.operators.filter((op) => op.domain === 'com.microsoft' && GPU_ONLY_OPERATORS.has(op.opType));
  if (gpuOnly.length === 0) return;
  throw new BackendMismatchError(
    `The ${label} model was prepared for WebGPU: it uses ${gpuOnly.map(opName).join(', ')}, which ${BACKEND_LABEL[backend]} backend has no kernel for (nothing is damaged). ${PORTABLE_ADVICE}`,
  );
}

/** Throws ShaderF16UnsupportedError for an fp16 graph on a WebGPU adapter without shader-f16. */
export function checkPrecision(label: string, graph: GraphSummary, target: BackendTarget): void {
  if (target.backend !== 'webgpu' || graph.floatType !== 'float16' || target.shaderF16 !== false) return;
  throw new ShaderF16UnsupportedError(shaderF16Message(label));
}

export function shaderF16Message(what: string): string {
  return (
    `${what} is fp16, and this GPU adapter lacks WebGPU's shader-f16 feature, so it cannot run here ` +
    '(software WebGPU such as SwiftShader never has it; Chrome on Linux blocklists it on NVIDIA GPUs). ' +
    'Use a browser and GPU with shader-f16 (Chrome or Edge on Windows or macOS, recent GPUs; chrome://gpu lists it), ' +
    'or load an fp32 folder (tools/prepare_model.py --target webgpu --fp32, or --target portable: twice the download and GPU memory).'
  );
}

/** Throws ModelTooLargeError when the folder cannot fit the backend's memory or buffer limits. */
export function checkSizes(modelName: string, parts: readonly PartPlan[], target: BackendTarget): void {
  if (target.backend === 'wasm') {
    const total = parts.reduce((sum, p) => sum + p.bytes, 0);
    if (total + WASM_HEADROOM > WASM_HEAP_BYTES) {
      throw new ModelTooLargeError(
        `${modelName} has ${formatBytes(total)} of weights (${parts.map((p) => `${p.part} ${formatBytes(p.bytes)}`).join(', ')}); ` +
          `the wasm backend keeps them all in its heap, which holds at most ${formatBytes(WASM_HEAP_BYTES)} (with ${formatBytes(WASM_HEADROOM)} needed to run). ` +
          'Use a browser with WebGPU, or a smaller (fp16) export of the model.',
      );
    }
  }
  if (target.backend === 'webgpu') {
    const limits = [
      ['maxBufferSize', target.maxBufferSize],
      ['maxStorageBufferBindingSize', target.maxStorageBufferBindingSize],
    ] as const;
    for (const p of parts) {
      for (const [limit, value] of limits) {
        if (value != null && p.graph.largestTensorBytes > value) {
          throw new ModelTooLargeError(
            `The ${p.part} of ${modelName} has a weight tensor of ${formatBytes(p.graph.largestTensorBytes)} (${p.graph.largestTensorName ?? 'unnamed'}), ` +
              `more than this GPU's ${limit} (${formatBytes(value)}), so WebGPU cannot hold it in one buffer. ` +
              'Use an fp16 export (half the size) or a GPU with larger buffer limits (chrome://gpu lists them).',
          );
        }
      }
    }
  }
}

/** All checks, in the order a user should hear about them. */
export function checkModelFits(modelName: string, parts: readonly PartPlan[], target: BackendTarget): void {
  for (const p of parts) checkOperators(p.part, p.graph, target.backend);
  for (const p of parts) checkPrecision(`${modelName}'s ${p.part}`, p.graph, target);
  checkSizes(modelName, parts, target);
}

/** A folder as the weight store plans it: every file with its size (null: unknown) and its stored graphs. */
export interface FolderPlan {
  name: string;
  files: ReadonlyMap<string, number | null>;
  read(path: string): Promise<Uint8Array>;
}

const PARTS = ['text_encoder', 'unet', 'vae_decoder'] as const;

/** Reads each part's graph and sizes from the plan (model.onnx and the other non-JSON files beside it), then checkModelFits. */
export async function checkFolderPlan(plan: FolderPlan, target: BackendTarget): Promise<void> {
  const parts: PartPlan[] = [];
  for (const part of PARTS) {
    const path = `${part}/model.onnx`;
    if (!plan.files.has(path)) continue;
    let bytes = 0;
    for (const [file, size] of plan.files) if (file.startsWith(`${part}/`) && !file.endsWith('.json')) bytes += size ?? 0;
    parts.push({ part, bytes, graph: summarizeGraph(await plan.read(path), `${plan.name}/${path}`) });
  }
  checkModelFits(plan.name, parts, target);
}

/**
 * Bytes of the UNet's largest self-attention score tensor at `width` x `height`: batch x heads x
 * tokens^2 float32, where tokens = (h / f) x (w / f) / 4^level at the highest-resolution attention
 * (f: the VAE factor). It grows with the fourth power of the side: at 768 x 768 shapes-sd's
 * (4 heads at the full 96 x 96 latent) is 2 x 4 x 9216^2 x 4 B = 2.7 GB.
 */
export function attentionScoreBytes(geometry: ModelGeometry, width: number, height: number, batch: number): number {
  const { heads, level } = geometry.attention ?? SD_V1_ATTENTION;
  const tokens = (Math.floor(height / geometry.vaeScaleFactor) * Math.floor(width / geometry.vaeScaleFactor)) / 4 ** level;
  return batch * heads * tokens * tokens * 4;
}

/**
 * Score tensors the wasm backend holds at once: the MatMul's scores and the Softmax's output; and the
 * rest of the heap a run needs besides them and the weights. Measured with shapes-sd (fp32, 25 MB of
 * weights, 1 step, guidance 7.5, batch 2) on onnxruntime-web's wasm in Node, peak RSS (/usr/bin/time):
 * 512: 1.65 GB, 640: 3.20 GB, 672: 3.73 GB, 704: 4.38 GB, all = 0.55 GB + 2 x the score tensor;
 * 768 failed with std::bad_alloc at 3.25 GB, after its first 2.7 GB score tensor. At 704 the heap held
 * 2 x 1.92 GB of scores, so the rest of the run took under 0.45 GB: 256 MiB is kept for it here.
 */
export const WASM_SCORE_COPIES = 2;
export const WASM_RUN_HEADROOM = 256 * 1024 ** 2;

/** Whether the activations at `width` x `height` fit `target` (wasm: its 4 GiB heap; other backends are not estimated). */
export function activationsFit(geometry: ModelGeometry, width: number, height: number, batch: number, target: BackendTarget, weightBytes = 0): boolean {
  if (target.backend !== 'wasm') return true;
  return weightBytes + WASM_RUN_HEADROOM + WASM_SCORE_COPIES * attentionScoreBytes(geometry, width, height, batch) <= WASM_HEAP_BYTES;
}

/** The largest square side (a multiple of the model's size multiple) whose activations fit, or 0. */
export function largestFittingSide(geometry: ModelGeometry, batch: number, target: BackendTarget, weightBytes = 0, maxSide = 2048): number {
  const m = geometry.sizeMultiple;
  for (let side = Math.floor(maxSide / m) * m; side >= m; side -= m) if (activationsFit(geometry, side, side, batch, target, weightBytes)) return side;
  return 0;
}

/**
 * Throws ModelTooLargeError, before any work, when the UNet's attention at `width` x `height` cannot
 * fit the backend's memory (onnxruntime would fail inside with bad_alloc, "Integer overflow" or
 * "Tensor shape is too large"), naming the largest size that fits.
 */
export function checkActivations(
  modelName: string,
  geometry: ModelGeometry,
  width: number,
  height: number,
  batch: number,
  target: BackendTarget,
  weightBytes = 0,
): void {
  if (activationsFit(geometry, width, height, batch, target, weightBytes)) return;
  const side = largestFittingSide(geometry, batch, target, weightBytes);
  const scores = attentionScoreBytes(geometry, width, height, batch);
  throw new ModelTooLargeError(
    `${modelName} at ${width}x${height} needs about ${formatBytes(WASM_SCORE_COPIES * scores)} for its UNet's attention scores alone (${WASM_SCORE_COPIES} copies of ${formatBytes(scores)}), ` +
      `more than ${BACKEND_LABEL[target.backend]} backend's heap holds (${formatBytes(WASM_HEAP_BYTES)}, ${formatBytes(weightBytes + WASM_RUN_HEADROOM)} of it for the weights and runtime). ` +
      (side > 0 ? `The largest size that fits is ${side}x${side} (or another shape with at most ${side * side} pixels). ` : '') +
      "For larger pictures use WebGPU, or onnxruntime-node's CPU runtime (the CLI's --runtime cpu).",
  );
}
