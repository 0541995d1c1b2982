/**
 * The only module that touches the ONNX Runtime API. The runtime itself is injected: the browser
 * passes `onnxruntime-web` (WebGPU or wasm backend), Node tests pass `onnxruntime-web` (wasm), GPU
 * benchmarks pass `onnxruntime-node` (its WebGPU EP). They share onnxruntime-common's API, so the
 * engine is written against that shape only and never imports a runtime itself.
 */
import type * as OrtWeb from 'onnxruntime-web';
import { graphProto, modelProto } from '../../core/onnx/onnx-write.js';

export type OrtModule = Pick<typeof OrtWeb, 'InferenceSession' | 'Tensor'> & {
  /**
   * The runtime opens a model file by path and reads the external data beside it itself
   * (onnxruntime-node). Others (onnxruntime-web) are given each external-data file (bytes or path).
   */
  readonly opensModelFiles?: boolean;
  /**
   * For a runtime that opens model files: lays out a model held in memory (a LoRA-merged view) as files, for
   * the one session made from it (Node: node/model-folder-write.ts).
   */
  readonly writeModelFolder?: (model: Uint8Array, externalData: readonly ExternalDataEntry[]) => Promise<ModelFolderOnDisk>;
};

/** A model laid out on disk for one session: its model.onnx, and the removal of the folder once the session is made. */
export interface ModelFolderOnDisk {
  modelFile: string;
  remove(): Promise<void>;
}
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

/**
 * One external-data file for onnxruntime: `path` is the location as the graph names it; `data` its
 * bytes, or a path (Node) / URL (browser) that onnxruntime-web reads itself, streaming files over 2 GiB.
 */
export interface ExternalDataEntry {
  path: string;
  data: Uint8Array | string;
}

export interface CreateSessionOptions {
  executionProviders: OrtSessionOptions['executionProviders'];
  /** The external-data files, by the location name the graph refers to (e.g. "weights.pb"). */
  externalData?: ExternalDataEntry[];
  /** The model's local path (Node folders): a runtime that opens files (onnxruntime-node) loads it and its external data from there. */
  modelFile?: string;
  /** Extra ORT options (graph optimisation level, freeDimensionOverrides, preferredOutputLocation...). */
  extra?: Partial<OrtSessionOptions>;
  /**
   * Keep inputs that are fed unchanged to many runs (OrtModel.prepare) in GPU memory. Default: on
   * when the providers include WebGPU, the only EP here with GPU-resident tensors.
   */
  gpuResidentInputs?: boolean;
}

export async function createSession(ort: OrtModule, model: Uint8Array, options: CreateSessionOptions): Promise<OrtSession> {
  const sessionOptions: OrtSessionOptions = { executionProviders: options.executionProviders, graphOptimizationLevel: 'all', ...options.extra };
  // onnxruntime-node reads the external data beside the file itself (no 2 GiB buffers in JavaScript).
  if (ort.opensModelFiles && options.modelFile) return ort.InferenceSession.create(options.modelFile, sessionOptions);
  if (ort.opensModelFiles && options.externalData?.length) {
    // a model in memory with external data (a LoRA-merged view): this runtime reads external data only from files
    if (!ort.writeModelFolder) throw new Error('This runtime opens model files itself and cannot take external data as buffers.');
    const folder = await ort.writeModelFolder(model, options.externalData);
    try {
      return await ort.InferenceSession.create(folder.modelFile, sessionOptions);
    } finally {
      await folder.remove();
    }
  }
  const externalData = options.externalData?.length ? options.externalData : undefined;
  return ort.InferenceSession.create(model, { ...sessionOptions, ...(externalData ? { externalData } : {}) });
}

function readSpec(meta: OrtSession['inputMetadata'][number] | undefined, name: string): TensorSpec {
  // onnxruntime-web >= 1.21 exposes metadata; unknown metadata means "float32, dynamic".
  if (meta?.isTensor) {
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

/** Whether a provider list asks for WebGPU (as 'webgpu' or { name: 'webgpu', ... }). */
export function usesWebGpu(providers: OrtSessionOptions['executionProviders']): boolean {
  return (providers ?? []).some((p) => (typeof p === 'string' ? p : p.name) === 'webgpu');
}

/**
 * The bytes of a one-node ONNX model, y = Identity(x), any shape, element type `type`. Run on the
 * WebGPU EP with preferredOutputLocation 'gpu-buffer', it copies a CPU tensor into a GPU buffer that
 * other sessions take as input. That is the one upload path that works the same in onnxruntime-web
 * and onnxruntime-node (whose Tensor.fromGpuBuffer cannot wrap a buffer made in JavaScript).
 */
export function identityModel(type: TensorType): Uint8Array {
  return modelProto(
    graphProto({
      name: 'upload',
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'], name: 'upload' }],
      inputs: [{ name: 'x', type }],
      outputs: [{ name: 'y', type }],
    }),
  );
}
