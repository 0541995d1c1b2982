/**
 * onnxruntime's session-creation failures in words a user can act on. A missing kernel is the
 * usual one: a folder prepared for WebGPU (com.microsoft fusions) or in fp16 loaded on a backend
 * without those kernels. Nothing is damaged then, so the message must not say "re-download".
 *
 * onnxruntime's wordings (1.2x-1.30, wasm and CPU EP):
 *   "Could not find an implementation for BiasSplitGelu(1) node with name ''"
 *   "Failed to find kernel for com.microsoft.BiasSplitGelu(1) (node:'' ep:'CPUExecutionProvider'). Kernel not found"
 */
import { BackendMismatchError, ModelFormatError } from '../../core/errors.js';
import { GPU_ONLY_OPERATORS, PORTABLE_ADVICE, type Backend } from './model-fit.js';

const BACKEND_LABEL: Record<Backend, string> = { webgpu: 'WebGPU', wasm: 'the wasm (CPU) backend', cpu: "onnxruntime-node's CPU EP" };

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
  return new ModelFormatError(`Could not load the ${label} model: ${reason}. Check that the file is a complete ONNX model for this runtime (re-download it if it may be damaged).`);
}
