/**
 * One ONNX model of the pipeline (text encoder, UNet, VAE decoder/encoder) behind float32 in /
 * float32 out. It reads each input's element type from the session (fp16 models take float16,
 * some exports take an int64 timestep) and converts at the boundary, so the pipeline's maths stays
 * in float32 exactly like diffusers' (which casts the same way).
 */
import { float16ToFloat32, float32ToFloat16 } from '../core/float16.js';
import { ModelFormatError } from '../core/errors.js';
import { createSession, inputSpecs, outputSpecs, type CreateSessionOptions, type OrtModule, type OrtSession, type OrtTensor, type TensorSpec } from './ort.js';

export interface Feed {
  data: Float32Array | Int32Array;
  dims: readonly number[];
}

export class OrtModel {
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];

  private constructor(
    readonly label: string,
    private readonly ort: OrtModule,
    private readonly session: OrtSession,
  ) {
    this.inputs = inputSpecs(session);
    this.outputs = outputSpecs(session);
  }

  static async create(label: string, ort: OrtModule, model: Uint8Array, options: CreateSessionOptions): Promise<OrtModel> {
    let session: OrtSession;
    try {
      session = await createSession(ort, model, options);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ModelFormatError(`Could not load the ${label} model: ${reason}. Check that the file is a complete ONNX model for this runtime (re-download it if it may be damaged).`);
    }
    return new OrtModel(label, ort, session);
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

  /** Runs the model; returns the named outputs (all outputs when `names` is omitted) as float32. */
  async run(feeds: Record<string, Feed>, names?: string[]): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
    const tensors: Record<string, OrtTensor> = {};
    for (const [name, feed] of Object.entries(feeds)) tensors[name] = this.toTensor(this.input(name), feed);
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
        return new Tensor('int64', BigInt64Array.from(feed.data, (v) => BigInt(Math.round(v))), dims);
      default:
        throw new ModelFormatError(`The ${this.label} input "${spec.name}" has unsupported type ${String(spec.type)}.`);
    }
  }

  async dispose(): Promise<void> {
    await this.session.release();
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
