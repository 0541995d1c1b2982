/**
 * The only module that touches the ONNX Runtime API. The runtime itself is injected: the browser
 * passes `onnxruntime-web` (WebGPU or wasm backend), Node tests pass `onnxruntime-web` (wasm), GPU
 * benchmarks pass `onnxruntime-node` (its WebGPU EP). They share onnxruntime-common's API, so the
 * engine is written against that shape only and never imports a runtime itself.
 */
import type * as OrtWeb from 'onnxruntime-web';

export type OrtModule = Pick<typeof OrtWeb, 'InferenceSession' | 'Tensor'>;
export type OrtSession = OrtWeb.InferenceSession;
export type OrtTensor = OrtWeb.Tensor;
export type OrtSessionOptions = OrtWeb.InferenceSession.SessionOptions;

/** The element types the engine feeds or reads. */
export type TensorType = 'float32' | 'float16' | 'int32' | 'int64';

export interface TensorSpec {
  name: string;
  type: TensorType;
  /** Static dims are numbers; symbolic dims (e.g. "batch") are strings. */
  shape: readonly (number | string)[];
}

export interface CreateSessionOptions {
  executionProviders: OrtSessionOptions['executionProviders'];
  /** Bytes of external data files, by the location name the graph refers to (e.g. "weights.pb"). */
  externalData?: { path: string; data: Uint8Array }[];
  /** Extra ORT options (graph optimisation level, freeDimensionOverrides, preferredOutputLocation...). */
  extra?: Partial<OrtSessionOptions>;
}

export async function createSession(ort: OrtModule, model: Uint8Array, options: CreateSessionOptions): Promise<OrtSession> {
  return ort.InferenceSession.create(model, {
    executionProviders: options.executionProviders,
    graphOptimizationLevel: 'all',
    ...(options.externalData ? { externalData: options.externalData } : {}),
    ...options.extra,
  });
}

function readSpec(meta: OrtSession['inputMetadata'][number] | undefined, name: string): TensorSpec {
  // onnxruntime-web >= 1.21 exposes metadata; unknown metadata means "float32, dynamic".
  if (meta && meta.isTensor) {
    return { name, type: meta.type as TensorType, shape: meta.shape };
  }
  return { name, type: 'float32', shape: [] };
}

export function inputSpecs(session: OrtSession): TensorSpec[] {
  return session.inputNames.map((name, i) => readSpec(session.inputMetadata?.[i], name));
}

export function outputSpecs(session: OrtSession): TensorSpec[] {
  return session.outputNames.map((name, i) => readSpec(session.outputMetadata?.[i], name));
}
