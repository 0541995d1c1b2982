/**
 * GroupNorm with short float32 sums: a rewrite of the ONNX graph before its session is made.
 *
 * torch exports `GroupNorm(G, C)` as Reshape (N, C, ...) -> (N, G, L) -> InstanceNormalization ->
 * Reshape back -> Mul(gamma) -> Add(beta). onnxruntime's InstanceNormalization sums the L = C/G * H * W
 * values of a group in one float32 running sum (on wasm one after another), so on a flat picture the
 * rounding errors add up instead of cancelling: on the bundled model's VAE encoder and a flat 128x128
 * picture the first GroupNorm's output is off by 2.2e-4 (rel L2) and the encoder's latents by 6.8e-5 from
 * the float64 result, while torch's contiguous GroupNorm kernel is within 4.8e-7 (tools/check_group_norm.py).
 * img2img carries that into the result x5 (README, "img2img parity and the VAE encoder").
 *
 * The rewrite computes the same function with short sums: the mean over the last axis (W, or H*W),
 * then over the group's rows (the Reshape's own target), then the variance the same way from the
 * centred values (two passes, as torch), then (x - mean) / sqrt(var + eps) * scale + bias. On the same
 * encoder this gives latents within 1.1e-6 of float64. Only float32 graphs are rewritten, only
 * InstanceNormalization nodes fed by a Reshape whose target is (batch, groups, -1); everything else is
 * copied byte for byte. Field numbers are onnx.proto3's.
 */
import { protobufFields, readVarint, type ProtobufField } from '../../core/onnx/protobuf-read.js';
import { bytesField, concatBytes } from '../../core/onnx/protobuf-write.js';
import { int64Tensor, nodeProto, tensorProto, type AttributeValue } from '../../core/onnx/onnx-write.js';
import { summarizeGraph } from '../../core/onnx/graph.js';

const MODEL_GRAPH = 7;
const MODEL_OPSET = 8;
const OPSET_DOMAIN = 1;
const OPSET_VERSION = 2;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
const ATTR = { name: 1, f: 2, t: 5 } as const;
const TENSOR = { dims: 1, dataType: 2, int64Data: 7, name: 8, rawData: 9 } as const;
/** ONNX's default InstanceNormalization epsilon, 1e-5, as float32 bytes. */
const DEFAULT_EPSILON = new Uint8Array(new Float32Array([1e-5]).buffer);

const decoder = new TextDecoder();

interface GraphNode {
  field: ProtobufField;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** Attribute name -> its AttributeProto's byte range. */
  attributes: Map<string, [number, number]>;
}

/** The model with every GroupNorm's InstanceNormalization rewritten (see above), or null when it has none to rewrite. */
export function preciseGroupNorm(model: Uint8Array): Uint8Array | null {
  if (summarizeGraph(model).floatType !== 'float32') return null;
  const modelFields = [...protobufFields(model, 0, model.length)];
  const graph = modelFields.find((f) => f.number === MODEL_GRAPH && f.wire === 2);
  if (!graph) return null;
  const opset = defaultOpset(model, modelFields);
  const graphFields = [...protobufFields(model, graph.start, graph.end)];
  const nodes = graphFields.filter((f) => f.number === GRAPH_NODE && f.wire === 2).map((f) => readNode(model, f));
  const producers = new Map(nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const initializers = new Map(graphFields.filter((f) => f.number === GRAPH_INITIALIZER && f.wire === 2).map((f) => [tensorName(model, f), f] as const));
  const constant = (name: string): number[] | null => {
    const init = initializers.get(name);
    if (init) return readInt64Tensor(model, init.start, init.end);
    const node = producers.get(name);
    const value = node?.opType === 'Constant' ? node.attributes.get('value') : undefined;
    if (!value) return null;
    const t = [...protobufFields(model, value[0], value[1])].find((f) => f.number === ATTR.t && f.wire === 2);
    return t ? readInt64Tensor(model, t.start, t.end) : null;
  };

  const replaced = new Map<number, Uint8Array>();
  for (const node of nodes) {
    if (node.opType !== 'InstanceNormalization' || node.domain !== '' || node.inputs.length < 3) continue;
    const reshape = producers.get(node.inputs[0]!);
    if (reshape?.opType !== 'Reshape' || reshape.inputs.length < 2) continue;
    const target = constant(reshape.inputs[1]!);
    if (target?.length !== 3 || target[2] !== -1) continue;
    const epsilon = node.attributes.get('epsilon');
    const epsilonBytes = epsilon ? floatAttribute(model, epsilon) : DEFAULT_EPSILON;
    const newNodes = groupNormNodes({
      x: reshape.inputs[0]!,
      grouped: node.inputs[0]!,
      groupShape: reshape.inputs[1]!,
      scale: node.inputs[1]!,
      bias: node.inputs[2]!,
      y: node.outputs[0]!,
      epsilon: epsilonBytes,
      opset,
    });
    replaced.set(node.field.begin, concatBytes(newNodes.map((n) => bytesField(GRAPH_NODE, n))));
  }
  if (replaced.size === 0) return null;

  const newGraph = concatBytes(graphFields.map((f) => replaced.get(f.begin) ?? model.subarray(f.begin, f.end)));
  return concatBytes(modelFields.map((f) => (f === graph ? bytesField(MODEL_GRAPH, newGraph) : model.subarray(f.begin, f.end))));
}

interface GroupNormParts {
  /** The tensor before the Reshape, (N, C, ...). */
  x: string;
  /** The Reshape's output, (N, G, L), and its target (0 or N, G, -1). */
  grouped: string;
  groupShape: string;
  /** InstanceNormalization's per-group scale and bias, (G). */
  scale: string;
  bias: string;
  /** InstanceNormalization's output, (N, G, L). */
  y: string;
  epsilon: Uint8Array;
  opset: number;
}

/** (x - mean) / sqrt(var + eps) * scale + bias over each (n, g), every sum over one axis at a time. */
function groupNormNodes(p: GroupNormParts): Uint8Array[] {
  const at = `${p.y}/precise_group_norm/`;
  const nodes: Uint8Array[] = [];
  const add = (op: string, inputs: string[], output: string, attributes: Record<string, AttributeValue> = {}) => {
    nodes.push(nodeProto({ op, inputs, outputs: [output], name: at + op + nodes.length, attributes }));
    return output;
  };
  const constant = (name: string, tensor: Uint8Array) => add('Constant', [], at + name, { value: { tensor } });
  // ReduceMean over one axis, keepdims: axes an attribute before opset 18, an input from 18 on.
  const mean = (input: string, axis: number, output: string) =>
    p.opset >= 18
      ? add('ReduceMean', [input, constant(`${output}_axes`, int64Tensor('', [axis]))], at + output, { keepdims: 1 })
      : add('ReduceMean', [input], at + output, { axes: { ints: [axis] }, keepdims: 1 });
  // the mean of (N, C, ..., W) over each group: rows of the last axis, then the group's row means
  const groupMean = (x: string, name: string) => mean(add('Reshape', [mean(x, -1, `${name}_rows`), p.groupShape], `${at}${name}_grouped`), 2, name);

  const avg = groupMean(p.x, 'mean'); // (N, G, 1)
  const centred = add('Sub', [p.grouped, avg], `${at}centred`); // (N, G, L)
  const centred4 = add('Reshape', [centred, add('Shape', [p.x], `${at}shape`)], `${at}centred_x`); // (N, C, ...)
  const variance = groupMean(add('Mul', [centred4, centred4], `${at}squares`), 'variance');
  const eps = constant('epsilon', tensorProto({ name: '', dims: [], raw: p.epsilon }));
  const std = add('Sqrt', [add('Add', [variance, eps], `${at}variance_eps`)], `${at}std`);
  const normalized = add('Div', [centred, std], `${at}normalized`);
  const column = constant('column', int64Tensor('', [-1, 1])); // (G) -> (G, 1), broadcast over L
  const scale = add('Reshape', [p.scale, column], `${at}scale`);
  const bias = add('Reshape', [p.bias, column], `${at}bias`);
  add('Add', [add('Mul', [normalized, scale], `${at}scaled`), bias], p.y);
  return nodes;
}

function readNode(bytes: Uint8Array, field: ProtobufField): GraphNode {
  const node: GraphNode = { field, opType: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  for (const f of protobufFields(bytes, field.start, field.end)) {
    if (f.wire !== 2) continue;
    const text = () => decoder.decode(bytes.subarray(f.start, f.end));
    if (f.number === NODE.input) node.inputs.push(text());
    else if (f.number === NODE.output) node.outputs.push(text());
    else if (f.number === NODE.opType) node.opType = text();
    else if (f.number === NODE.domain) node.domain = text() === 'ai.onnx' ? '' : text();
    else if (f.number === NODE.attribute) {
      const name = [...protobufFields(bytes, f.start, f.end)].find((a) => a.number === ATTR.name && a.wire === 2);
      if (name) node.attributes.set(decoder.decode(bytes.subarray(name.start, name.end)), [f.start, f.end]);
    }
  }
  return node;
}

/** The float32 bytes of an attribute's `f`. */
function floatAttribute(bytes: Uint8Array, [start, end]: [number, number]): Uint8Array {
  const f = [...protobufFields(bytes, start, end)].find((a) => a.number === ATTR.f && a.wire === 5);
  return f ? bytes.slice(f.start, f.end) : DEFAULT_EPSILON;
}

function tensorName(bytes: Uint8Array, field: ProtobufField): string {
  const name = [...protobufFields(bytes, field.start, field.end)].find((f) => f.number === TENSOR.name && f.wire === 2);
  return name ? decoder.decode(bytes.subarray(name.start, name.end)) : '';
}

/** The values of an int64 TensorProto (raw_data or int64_data), or null for another type. */
function readInt64Tensor(bytes: Uint8Array, start: number, end: number): number[] | null {
  let type = 0;
  const values: number[] = [];
  for (const f of protobufFields(bytes, start, end)) {
    if (f.number === TENSOR.dataType && f.wire === 0) type = f.value;
    else if (f.number === TENSOR.rawData && f.wire === 2) {
      const view = new DataView(bytes.buffer, bytes.byteOffset + f.start, f.end - f.start);
      for (let i = 0; i + 8 <= view.byteLength; i += 8) values.push(Number(view.getBigInt64(i, true)));
    } else if (f.number === TENSOR.int64Data) {
      // varints; negative int64 take 10 bytes, read exactly with BigInt
      for (let at = f.start; at < f.end; ) {
        let v = 0n;
        let shift = 0n;
        for (;;) {
          const byte = bytes[at++]!;
          v |= BigInt(byte & 0x7f) << shift;
          shift += 7n;
          if (byte < 0x80) break;
        }
        values.push(Number(BigInt.asIntN(64, v)));
        if (f.wire === 0) break;
      }
    }
  }
  return type === 7 ? values : null; // INT64
}

/** The model's opset for the default ONNX domain. */
function defaultOpset(bytes: Uint8Array, modelFields: ProtobufField[]): number {
  for (const f of modelFields) {
    if (f.number !== MODEL_OPSET || f.wire !== 2) continue;
    let domain = '';
    let version = 0;
    for (const o of protobufFields(bytes, f.start, f.end)) {
      if (o.number === OPSET_DOMAIN && o.wire === 2) domain = decoder.decode(bytes.subarray(o.start, o.end));
      else if (o.number === OPSET_VERSION && o.wire === 0) version = readVarint(bytes, o.start)[0];
    }
    if (domain === '' || domain === 'ai.onnx') return version;
  }
  return 0;
}
