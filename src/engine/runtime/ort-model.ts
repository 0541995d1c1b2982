/**
 * One ONNX model of the pipeline (text encoder, UNet, VAE decoder/encoder) behind float32 in /
 * float32 out. It reads each input's element type from the session (fp16 models take float16,
 * some exports take an int64 timestep) and converts at the boundary, so the pipeline's maths stays
 * in float32 exactly like diffusers' (which casts the same way).
 *
 * Inputs that stay the same over many runs (the UNet's text embeddings and timesteps during a
 * generation) are converted once with `prepare`, and on WebGPU uploaded once: they then stay in GPU
 * memory and no run copies or converts them again.
 */
import { float16ToFloat32, float32ToFloat16 } from '../../core/float16.js';
import { ModelFormatError } from '../../core/errors.js';
import { backendOf, checkOperators } from './model-fit.js';
import { summarizeGraph, type GraphSummary } from '../../core/onnx/graph.js';
import { explainSessionError } from './session-errors.js';
import {
  createSession,
  identityModel,
  inputSpecs,
  outputSpecs,
  usesWebGpu,
  type CreateSessionOptions,
  type OrtModule,
  type OrtSession,
  type OrtTensor,
  type TensorSpec,
  type TensorType,
} from './ort.js';

export interface Feed {
  data: Float32Array | Int32Array;
  dims: readonly number[];
}

/** An input already in the model's element type, in CPU or GPU memory; fed to any number of runs. Its owner disposes it. */
export class PreparedInput {
  constructor(
    readonly tensor: OrtTensor,
    readonly location: 'cpu' | 'gpu-buffer',
  ) {}

  dispose(): void {
    this.tensor.dispose();
  }
}

export class OrtModel {
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];

  /** Identity sessions that upload prepared inputs to the GPU, one per element type; null where that fails. */
  private readonly uploaders = new Map<TensorType, Promise<OrtSession | null>>();

  private constructor(
    readonly label: string,
    private readonly ort: OrtModule,
    private readonly session: OrtSession,
    private readonly options: CreateSessionOptions,
  ) {
    this.inputs = inputSpecs(session);
    this.outputs = outputSpecs(session);
  }

  /** Whether `prepare` keeps inputs in GPU memory (WebGPU, unless turned off). */
  get gpuResidentInputs(): boolean {
    return this.options.gpuResidentInputs ?? usesWebGpu(this.options.executionProviders);
  }

  static async create(label: string, ort: OrtModule, model: Uint8Array, options: CreateSessionOptions): Promise<OrtModel> {
    const backend = backendOf(options.executionProviders as (string | { name: string })[] | undefined);
    // Operators the backend lacks are named before onnxruntime reads any weight.
    const graph = readableGraph(model, label);
    if (graph) checkOperators(label, graph, backend);
    let session: OrtSession;
    try {
      session = await createSession(ort, model, options);
    } catch (error) {
      throw explainSessionError(label, backend, error, graph?.floatType ?? null);
    }
    return new OrtModel(label, ort, session, options);
  }

  input(name: string): TensorSpec {
    const spec = this.inputs.find((input) => input.name === name);
    if (!spec) throw new ModelFormatError(`The ${this.label} model has no input "${name}" (it has: ${this.inputs.map((i) => i.name).join(', ')}).`);
    return spec;
  }

  /** The float element type this model computes in ('float16' for fp16 exports). */
  get floatType(): 'float32' | 'float16' {
    return this.inputs.some((input) => input.type === 'float16') || this.outputs.some((o) => o.type === 'float16') ? 'float16' : 'float32';
  }

  /** `feed` as this model's input `name` in CPU memory, converted once (small per-run constants such as a timestep). */
  prepareOnCpu(name: string, feed: Feed): PreparedInput {
    return new PreparedInput(this.toTensor(this.input(name), feed), 'cpu');
  }

  /**
   * `feed` as this model's input `name`, converted once and, where inputs are GPU-resident, uploaded
   * once; falls back to CPU memory when the runtime cannot upload.
   */
  async prepare(name: string, feed: Feed): Promise<PreparedInput> {
    const prepared = this.prepareOnCpu(name, feed);
    if (!this.gpuResidentInputs) return prepared;
    const uploader = await this.uploader(prepared.tensor.type as TensorType);
    if (!uploader) return prepared;
    const { y } = await uploader.run({ x: prepared.tensor });
    prepared.dispose();
    return new PreparedInput(y, y.location === 'gpu-buffer' ? 'gpu-buffer' : 'cpu');
  }

  private uploader(type: TensorType): Promise<OrtSession | null> {
    let uploader = this.uploaders.get(type);
    if (!uploader) {
      uploader = createSession(this.ort, identityModel(type), {
        executionProviders: this.options.executionProviders,
        extra: { preferredOutputLocation: 'gpu-buffer' },
      }).catch(() => null);
      this.uploaders.set(type, uploader);
    }
    return uploader;
  }

  /**
   * Runs the model; returns the named outputs (all outputs when `names` is omitted) as float32.
   * Feeds are float32/int32 arrays converted here, or inputs prepared once (`prepare`).
   */
  async run(feeds: Record<string, Feed | PreparedInput>, names?: string[]): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
    const tensors: Record<string, OrtTensor> = {};
    for (const [name, feed] of Object.entries(feeds)) tensors[name] = feed instanceof PreparedInput ? feed.tensor : this.toTensor(this.input(name), feed);
    const wanted = names ?? this.session.outputNames;
    const results = await this.session.run(tensors, wanted);
    const out: Record<string, { data: Float32Array; dims: number[] }> = {};
    try {
      for (const name of wanted) {
        const tensor = results[name];
        out[name] = { data: toFloat32(tensor), dims: [...tensor.dims] };
      }
    } finally {
      for (const tensor of Object.values(results)) tensor.dispose();
    }
    return out;
  }

  private toTensor(spec: TensorSpec, feed: Feed): OrtTensor {
    const dims = [...feed.dims];
    const { Tensor } = this.ort;
    switch (spec.type) {
      case 'float32':
        return new Tensor('float32', feed.data instanceof Float32Array ? feed.data : Float32Array.from(feed.data), dims);
      case 'float16':
        return new Tensor('float16', float32ToFloat16(feed.data), dims);
      case 'int32':
        return new Tensor('int32', feed.data instanceof Int32Array ? feed.data : Int32Array.from(feed.data, Math.round), dims);
      case 'int64':
        return new Tensor(
          'int64',
          BigInt64Array.from(feed.data, (v) => BigInt(Math.round(v))),
          dims,
        );
      default:
        throw new ModelFormatError(`The ${this.label} input "${spec.name}" has unsupported type ${String(spec.type)}.`);
    }
  }

  async dispose(): Promise<void> {
    const uploaders = await Promise.all(this.uploaders.values());
    this.uploaders.clear();
    await Promise.all([this.session.release(), ...uploaders.map((u) => u?.release())]);
  }
}

/** The graph's summary, or null when the bytes are not readable as ONNX (onnxruntime then says why). */
function readableGraph(model: Uint8Array, label: string): GraphSummary | null {
  try {
    return summarizeGraph(model, `the ${label} model`);
  } catch {
    return null;
  }
}

function toFloat32(tensor: OrtTensor): Float32Array {
  const data = tensor.data;
  if (tensor.type === 'float32') return data as Float32Array;
  if (tensor.type === 'float16') {
    // onnxruntime-web returns Uint16Array bits, or a Float16Array where the platform has one.
    return data instanceof Uint16Array ? float16ToFloat32(data) : Float32Array.from(data as ArrayLike<number>);
  }
  throw new ModelFormatError(`Unexpected output type ${tensor.type}.`);
}
