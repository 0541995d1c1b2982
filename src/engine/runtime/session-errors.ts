/**
 * onnxruntime's session-creation failures in words a user can act on. A missing kernel is the
 * usual one: a folder prepared for WebGPU (com.microsoft fusions) or in fp16 loaded on a backend
 * without those kernels. Nothing is damaged then, so the message must not say "re-download".
 *
 * onnxruntime's wordings (1.2x-1.30, wasm and CPU EP):
 *   "Could not find an implementation for BiasSplitGelu(1) node with name ''"
 *   "Failed to find kernel for com.microsoft.BiasSplitGelu(1) (node:'' ep:'CPUExecutionProvider'). Kernel not found"
 */
import { BackendMismatchError, ModelFormatError, ModelTooLargeError } from '../../core/errors.js';
import { GPU_ONLY_OPERATORS, PORTABLE_ADVICE, type Backend } from './model-fit.js';

const BACKEND_LABEL: Record<Backend, string> = { webgpu: 'WebGPU', wasm: 'the wasm (CPU) backend', cpu: "onnxruntime-node's CPU EP" };

/**
 * onnxruntime's words for running out of memory or of index range: the C++ allocator's bad_alloc
 * (wasm: the 4 GiB heap is full), its own "Failed to allocate memory", and the shape checks that
 * fire when a tensor's element count passes 2^31 ("Integer overflow", "Tensor shape is too large").
 * These say the model (or the image size) is too large for this backend, not that a file is damaged.
 */
const OUT_OF_MEMORY =
  /bad_alloc|Failed to allocate memory|out of memory|Integer overflow|Tensor shape is too large|memory access out of bounds|Array buffer allocation failed/i;

/** True when onnxruntime's `error` means the backend ran out of memory (or of index range). */
export function isOutOfMemory(error: unknown): boolean {
  return OUT_OF_MEMORY.test(error instanceof Error ? error.message : String(error));
}

const MISSING_KERNEL = [/Could not find an implementation for ([\w.]+)\((\d+)\) node/, /Failed to find kernel for ([\w.]+)\((\d+)\)/];

/** The error to throw for `error`, raised by onnxruntime while creating the `label` session on `backend`. */
export function explainSessionError(label: string, backend: Backend, error: unknown, floatType: 'float16' | 'float32' | null = null): Error {
  const reason = error instanceof Error ? error.message : String(error);
  for (const pattern of MISSING_KERNEL) {
    const match = pattern.exec(reason);
    if (!match) continue;
    const op = match[1]!;
    const fused = op.startsWith('com.microsoft.') || GPU_ONLY_OPERATORS.has(op);
    const advice = fused
      ? PORTABLE_ADVICE
      : floatType === 'float16'
        ? 'This backend lacks that operator in fp16: use a portable fp32 folder (tools/prepare_model.py --target portable).'
        : 'Use a folder exported for onnxruntime-web (tools/prepare_model.py), or another backend.';
    return new BackendMismatchError(
      `The ${label} model uses the operator ${op} (opset ${match[2]}), which ${BACKEND_LABEL[backend]} has no kernel for${floatType === 'float16' ? ' in fp16' : ''}: the folder was prepared for another backend (nothing is damaged). ${advice}`,
    );
  }
  if (isOutOfMemory(error)) {
    return new ModelTooLargeError(
      `The ${label} model does not fit in ${BACKEND_LABEL[backend]}'s memory (onnxruntime: ${firstLine(reason)}); nothing is damaged. ` +
        (backend === 'wasm'
          ? "The wasm heap holds at most 4 GiB: use onnxruntime-node's CPU runtime (the CLI's --runtime cpu), WebGPU, or a smaller (fp16) export."
          : 'Use a smaller (fp16) export, or a machine with more memory.'),
    );
  }
  return new ModelFormatError(
    `Could not load the ${label} model: ${reason}. Check that the file is a complete ONNX model for this runtime (re-download it if it may be damaged).`,
  );
}

/** The error to throw for `error`, raised by onnxruntime while running the `label` model at `width` x `height`. */
export function explainRunError(label: string, backend: Backend, error: unknown, width: number, height: number): unknown {
  if (!isOutOfMemory(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new ModelTooLargeError(
    `The ${label} model ran out of ${BACKEND_LABEL[backend]}'s memory at ${width}x${height} (onnxruntime: ${firstLine(reason)}): use a smaller width and height` +
      (backend === 'wasm' ? ", or onnxruntime-node's CPU runtime (the CLI's --runtime cpu)." : '.'),
  );
}

/** onnxruntime's first line, without its build machine's source paths. */
function firstLine(reason: string): string {
  return reason
    .split('\n')[0]
    .replace(/\S*\/onnxruntime\/\S*:\d+\s*/g, '')
    .replace(/\.$/, '')
    .trim();
}
