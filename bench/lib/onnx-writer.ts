/**
 * A tiny ONNX ModelProto writer for single-operator test graphs (bench/webgpu-ops-check.ts): graph
 * inputs and outputs with element type and dims, nodes with int / float / string attributes, opset
 * imports for the default domain and com.microsoft. Field numbers from onnx/onnx.proto3.
 */

export const ELEMENT = { float32: 1, float16: 10, int32: 6, int64: 7 } as const;
export type ElementName = keyof typeof ELEMENT;

export type Attribute = number | { float: number } | string;

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, Attribute>;
  domain?: string;
}

export interface GraphSpec {
  nodes: NodeSpec[];
  inputs: { name: string; type: ElementName; dims: (number | string)[] }[];
  outputs: { name: string; type: ElementName; dims: (number | string)[] }[];
  opset?: number;
}

const text = (s: string) => [...new TextEncoder().encode(s)];

function varint(value: number): number[] {
  let n = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(n & 0x7fn);
    n >>= 7n;
    if (n > 0n) byte |= 0x80;
    out.push(byte);
  } while (n > 0n);
  return out;
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, v: number) => [...key(field, 0), ...varint(v)];
const bytes = (field: number, payload: number[]) => [...key(field, 2), ...varint(payload.length), ...payload];
const str = (field: number, s: string) => bytes(field, text(s));
const f32 = (field: number, v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v, true);
  return [...key(field, 5), ...b];
};

function attribute(name: string, value: Attribute): number[] {
  // AttributeProto: name 1, f 2, i 3, s 4, type 20 (FLOAT 1, INT 2, STRING 3)
  if (typeof value === 'string') return [...str(1, name), ...str(4, value), ...int(20, 3)];
  if (typeof value === 'number') return [...str(1, name), ...int(3, value), ...int(20, 2)];
  return [...str(1, name), ...f32(2, value.float), ...int(20, 1)];
}

function valueInfo(name: string, type: ElementName, dims: (number | string)[]): number[] {
  const shape = dims.flatMap((d) => bytes(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  return [...str(1, name), ...bytes(2, bytes(1, [...int(1, ELEMENT[type]), ...bytes(2, shape)]))];
}

export function onnxModel(spec: GraphSpec): Uint8Array {
  const nodes = spec.nodes.flatMap((n, i) =>
    bytes(1, [
      ...n.inputs.flatMap((x) => str(1, x)),
      ...n.outputs.flatMap((y) => str(2, y)),
      ...str(3, `${n.op}_${i}`),
      ...str(4, n.op),
      ...Object.entries(n.attributes ?? {}).flatMap(([k, v]) => bytes(5, attribute(k, v))),
      ...(n.domain ? str(7, n.domain) : []),
    ]),
  );
  const graph = [
    ...nodes,
    ...str(2, 'check'),
    ...spec.inputs.flatMap((i) => bytes(11, valueInfo(i.name, i.type, i.dims))),
    ...spec.outputs.flatMap((o) => bytes(12, valueInfo(o.name, o.type, o.dims))),
  ];
  const opsets = [...bytes(8, [...str(1, ''), ...int(2, spec.opset ?? 17)]), ...bytes(8, [...str(1, 'com.microsoft'), ...int(2, 1)])];
  return new Uint8Array([...int(1, 8), ...opsets, ...bytes(7, graph)]);
}
