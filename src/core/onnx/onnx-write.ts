/**
 * The one writer of ONNX messages (field numbers from onnx/onnx.proto3), on protobuf-write.ts's wire
 * format: tensors (inline raw data or external data), nodes with attributes, value infos, graphs and
 * models. The engine builds small graphs with it (the upload identity model, graph rewrites), and the
 * tests and benchmarks build their test graphs with it.
 */
import { bytesField, concatBytes, fixed32Field, varintField } from './protobuf-write.js';

export type OnnxElementType = 'float32' | 'float16' | 'int32' | 'int64';

/** TensorProto.DataType numbers. */
export const ONNX_ELEMENT_TYPE: Record<OnnxElementType, number> = { float32: 1, int32: 6, int64: 7, float16: 10 };

export interface TensorSpec {
  name: string;
  dims: readonly number[];
  /** Default float32. */
  type?: OnnxElementType;
  /** Values inline (raw_data, little-endian). */
  raw?: Uint8Array;
  /** Values in an external-data file; omit `length` to read to the end of the file. */
  external?: { location: string; offset: number; length?: number };
}

/** TensorProto: dims 1, data_type 2, name 8, raw_data 9, external_data 13, data_location 14. */
export function tensorProto(t: TensorSpec): Uint8Array {
  const entry = (key: string, value: string) => bytesField(13, concatBytes([bytesField(1, key), bytesField(2, value)]));
  const external = t.external;
  return concatBytes([
    ...t.dims.map((d) => varintField(1, d)),
    varintField(2, ONNX_ELEMENT_TYPE[t.type ?? 'float32']),
    bytesField(8, t.name),
    ...(t.raw ? [bytesField(9, t.raw)] : []),
    ...(external
      ? [
          entry('location', external.location),
          entry('offset', String(external.offset)),
          ...(external.length === undefined ? [] : [entry('length', String(external.length))]),
          varintField(14, 1), // EXTERNAL
        ]
      : []),
  ]);
}

/** A float32 tensor with its values inline. */
export function float32Tensor(name: string, values: readonly number[], dims: readonly number[] = [values.length]): Uint8Array {
  return tensorProto({ name, dims, raw: new Uint8Array(Float32Array.from(values).buffer) });
}

/** An int64 tensor with its values inline. */
export function int64Tensor(name: string, values: readonly number[]): Uint8Array {
  const raw = new DataView(new ArrayBuffer(8 * values.length));
  values.forEach((v, i) => raw.setBigInt64(8 * i, BigInt(v), true));
  return tensorProto({ name, dims: [values.length], type: 'int64', raw: new Uint8Array(raw.buffer) });
}

/** An attribute value: int, float, string, ints, a TensorProto or a GraphProto (already written). */
export type AttributeValue = number | { float: number } | string | { ints: readonly number[] } | { tensor: Uint8Array } | { graph: Uint8Array };

/** AttributeProto: name 1, f 2, i 3, s 4, t 5, g 6, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, TENSOR 4, GRAPH 5, INTS 7). */
function attributeProto(name: string, value: AttributeValue): Uint8Array {
  const head = bytesField(1, name);
  if (typeof value === 'number') return concatBytes([head, varintField(3, value), varintField(20, 2)]);
  if (typeof value === 'string') return concatBytes([head, bytesField(4, value), varintField(20, 3)]);
  if ('float' in value) return concatBytes([head, fixed32Field(2, value.float), varintField(20, 1)]);
  if ('ints' in value) return concatBytes([head, ...value.ints.map((i) => varintField(8, i)), varintField(20, 7)]);
  if ('tensor' in value) return concatBytes([head, bytesField(5, value.tensor), varintField(20, 4)]);
  return concatBytes([head, bytesField(6, value.graph), varintField(20, 5)]);
}

export interface NodeSpec {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attributes?: Record<string, AttributeValue>;
}

/** NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7. */
export function nodeProto(n: NodeSpec): Uint8Array {
  return concatBytes([
    ...n.inputs.map((x) => bytesField(1, x)),
    ...n.outputs.map((y) => bytesField(2, y)),
    ...(n.name === undefined ? [] : [bytesField(3, n.name)]),
    bytesField(4, n.op),
    ...Object.entries(n.attributes ?? {}).map(([key, value]) => bytesField(5, attributeProto(key, value))),
    ...(n.domain ? [bytesField(7, n.domain)] : []),
  ]);
}

export interface ValueInfoSpec {
  name: string;
  /** Default float32. */
  type?: OnnxElementType;
  /** Fixed sizes or symbolic names; omit for a tensor of unknown shape. */
  dims?: readonly (number | string)[];
}

/** ValueInfoProto: name 1, type 2 (TypeProto.tensor_type 1: elem_type 1, shape 2 of dims 1: dim_value 1 | dim_param 2). */
function valueInfoProto(v: ValueInfoSpec): Uint8Array {
  const shape = v.dims ? [bytesField(2, concatBytes(v.dims.map((d) => bytesField(1, typeof d === 'number' ? varintField(1, d) : bytesField(2, d)))))] : [];
  const tensorType = concatBytes([varintField(1, ONNX_ELEMENT_TYPE[v.type ?? 'float32']), ...shape]);
  return concatBytes([bytesField(1, v.name), bytesField(2, bytesField(1, tensorType))]);
}

export interface GraphSpec {
  name?: string;
  nodes: readonly NodeSpec[];
  initializers?: readonly Uint8Array[];
  inputs?: readonly ValueInfoSpec[];
  outputs: readonly ValueInfoSpec[];
}

/** GraphProto: node 1, name 2, initializer 5, input 11, output 12. */
export function graphProto(g: GraphSpec): Uint8Array {
  return concatBytes([
    ...g.nodes.map((n) => bytesField(1, nodeProto(n))),
    bytesField(2, g.name ?? 'graph'),
    ...(g.initializers ?? []).map((t) => bytesField(5, t)),
    ...(g.inputs ?? []).map((v) => bytesField(11, valueInfoProto(v))),
    ...g.outputs.map((v) => bytesField(12, valueInfoProto(v))),
  ]);
}

export interface Opset {
  domain: string;
  version: number;
}

/** ModelProto: ir_version 1, opset_import 8 (domain 1, version 2), graph 7. Default: IR 8, opset 17. */
export function modelProto(graph: Uint8Array, opsets: readonly Opset[] = [{ domain: '', version: 17 }], irVersion = 8): Uint8Array {
  return concatBytes([
    varintField(1, irVersion),
    ...opsets.map((o) => bytesField(8, concatBytes([bytesField(1, o.domain), varintField(2, o.version)]))),
    bytesField(7, graph),
  ]);
}
