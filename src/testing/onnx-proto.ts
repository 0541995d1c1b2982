/**
 * Test helper: writes small ONNX models (onnx.proto3 field numbers) whose initializers live in
 * external-data files, so the engine's external-data discovery and loading can be tested on graphs
 * onnxruntime really runs, without Python. Only what the tests need: float32 initializers, Add /
 * Identity / Constant / If nodes, one float32 input and output.
 */
type Bytes = number[];

const utf8 = (s: string): Bytes => [...new TextEncoder().encode(s)];
function varint(n: number): Bytes {
  const out: Bytes = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
  out.push(n);
  return out;
}
const int = (field: number, n: number): Bytes => [...varint(field * 8), ...varint(n)];
const bytes = (field: number, payload: Bytes): Bytes => [...varint(field * 8 + 2), ...varint(payload.length), ...payload];
const str = (field: number, s: string) => bytes(field, utf8(s));

export interface ExternalTensor {
  name: string;
  dims: number[];
  location: string;
  offset: number;
  /** Omit to leave `length` out of the graph (the tensor then reads to the end of the file). */
  length?: number;
}

/** TensorProto (float32) stored externally. */
export function externalTensor(t: ExternalTensor): Bytes {
  const entry = (key: string, value: string) => bytes(13, [...str(1, key), ...str(2, value)]);
  return [
    ...t.dims.flatMap((d) => int(1, d)),
    ...int(2, 1), // FLOAT
    ...str(8, t.name),
    ...entry('location', t.location),
    ...entry('offset', String(t.offset)),
    ...(t.length === undefined ? [] : entry('length', String(t.length))),
    ...int(14, 1), // data_location EXTERNAL
  ];
}

/** TensorProto (float32) with its values inline (raw_data). */
export function inlineTensor(name: string, values: number[]): Bytes {
  const raw = [...new Uint8Array(Float32Array.from(values).buffer)];
  return [...int(1, values.length), ...int(2, 1), ...str(8, name), ...bytes(9, raw)];
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Tensor attributes (e.g. Constant's `value`), as TensorProto bytes. */
  tensorAttributes?: Record<string, Bytes>;
  /** Graph attributes (e.g. If's `then_branch`), as GraphProto bytes. */
  graphAttributes?: Record<string, Bytes>;
}

export function node(spec: NodeSpec): Bytes {
  const attributes = [
    ...Object.entries(spec.tensorAttributes ?? {}).flatMap(([name, t]) => bytes(5, [...str(1, name), ...bytes(5, t), ...int(20, 4)])), // type TENSOR
    ...Object.entries(spec.graphAttributes ?? {}).flatMap(([name, g]) => bytes(5, [...str(1, name), ...bytes(6, g), ...int(20, 5)])), // type GRAPH
  ];
  return [...spec.inputs.flatMap((i) => str(1, i)), ...spec.outputs.flatMap((o) => str(2, o)), ...str(4, spec.op), ...attributes];
}

/** ValueInfoProto of a float32 tensor with fixed dims. */
function valueInfo(name: string, dims: number[]): Bytes {
  const shape = dims.flatMap((d) => bytes(1, int(1, d)));
  return [...str(1, name), ...bytes(2, bytes(1, [...int(1, 1), ...bytes(2, shape)]))];
}

export interface GraphSpec {
  nodes: Bytes[];
  initializers: Bytes[];
  inputs?: { name: string; dims: number[] }[];
  outputs: { name: string; dims: number[] }[];
}

export function graph(spec: GraphSpec): Bytes {
  return [
    ...spec.nodes.flatMap((n) => bytes(1, n)),
    ...str(2, 'g'),
    ...spec.initializers.flatMap((t) => bytes(5, t)),
    ...(spec.inputs ?? []).flatMap((v) => bytes(11, valueInfo(v.name, v.dims))),
    ...spec.outputs.flatMap((v) => bytes(12, valueInfo(v.name, v.dims))),
  ];
}

/** ModelProto bytes: ir_version 8, default-domain opset 17. */
export function model(graphBytes: Bytes): Uint8Array {
  return new Uint8Array([...int(1, 8), ...bytes(8, int(2, 17)), ...bytes(7, graphBytes)]);
}
