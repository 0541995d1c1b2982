/**
 * Where each layer's weight lies in a torch-exported ONNX graph. torch.onnx names a node after the module
 * that made it (`/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_q/MatMul`, a wrapper may add a
 * first segment such as `/m/`), and its weight input is an initializer (`onnx::MatMul_2380`, the Linear's
 * weight transposed to (in, out); Gemm with transB = 1 and Conv keep torch's (out, in[, kh, kw])), possibly
 * behind a Cast (weights stored fp16 in an fp32 graph) or a Transpose. This reads, for every module path, the
 * initializer, its layout and its storage (inline raw_data or external data), skipping weight bytes.
 * Field numbers are onnx.proto3's.
 */
import { ModelFormatError } from '../errors.js';
import { packedVarints, protobufFields, ProtobufError, type ProtobufField } from './protobuf-read.js';

/** How the initializer holds the module's (out, in[, kh, kw]) weight: as it is, or transposed to (in, out). */
export type WeightLayout = 'out_in' | 'in_out';

export interface ModuleWeight {
  /** The module path as in diffusers / transformers, without a wrapper's prefix or `text_model.` ('down_blocks.0.resnets.0.conv1'). */
  module: string;
  initializer: string;
  layout: WeightLayout;
  opType: string;
  /**
   * The block of a 2-D initializer that is this layer's weight, when the initializer packs several (a fused
   * Attention's q, k, v side by side: axis 1); absent: all of it. Only a weight map gives one (weight-map.ts).
   */
  slice?: { axis: 0 | 1; start: number; size: number };
}

export interface InitializerInfo {
  name: string;
  /** onnx.TensorProto.DataType: 1 float32, 10 float16. */
  dataType: number;
  dims: number[];
  /** The whole TensorProto field in the model bytes. */
  field: { begin: number; end: number };
  /** Inline data: raw_data's range in the model bytes (float_data is not read). */
  raw: { start: number; end: number } | null;
  /** External data: file, offset, length. */
  external: { location: string; offset: number; length: number | null } | null;
}

export interface GraphWeights {
  modules: Map<string, ModuleWeight>;
  /** Module paths named by two weight-carrying nodes: which weight is the layer's is unclear, so they are not merged. */
  ambiguous: Set<string>;
  initializers: Map<string, InitializerInfo>;
  /** Operators of non-default domains (fusions such as com.microsoft.MultiHeadAttention). */
  fusedOperators: string[];
  /** Layers a weight map says it could not place in the fused graph (weight-map.ts); absent without a map. */
  unmapped?: string[];
}

const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
const ATTR = { name: 1, i: 3, ints: 8 } as const;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9, externalData: 13, dataLocation: 14 } as const;
/** First segments of the module paths this reads (diffusers' UNet2DConditionModel, transformers' CLIPTextModel without text_model). */
const ROOTS = new Set(['conv_in', 'conv_out', 'time_embedding', 'down_blocks', 'mid_block', 'up_blocks', 'encoder', 'embeddings', 'final_layer_norm']);

const decoder = new TextDecoder();

interface RawNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  ints: Map<string, number[]>;
}

export function graphWeights(model: Uint8Array, modelName = 'the model'): GraphWeights {
  try {
    return readGraphWeights(model);
  } catch (error) {
    if (error instanceof ProtobufError) throw new ModelFormatError(`${modelName} is not a readable ONNX model (${error.message}).`);
    throw error;
  }
}

/** A node name's module path: `/m/down_blocks.0/resnets.0/conv1/Conv` -> 'down_blocks.0.resnets.0.conv1'; null outside the known roots. */
export function modulePath(nodeName: string): string | null {
  const segments = nodeName.split('/').filter((s) => s !== '');
  segments.pop(); // the operator's own name (MatMul, Conv_1, ...)
  const root = segments.findIndex((s) => ROOTS.has(s.split('.')[0]!));
  return root < 0 ? null : segments.slice(root).join('.');
}

function readGraphWeights(model: Uint8Array): GraphWeights {
  const nodes: RawNode[] = [];
  const initializers = new Map<string, InitializerInfo>();
  for (const m of protobufFields(model, 0, model.length)) {
    if (m.number !== MODEL_GRAPH || m.wire !== 2) continue;
    for (const g of protobufFields(model, m.start, m.end)) {
      if (g.wire !== 2) continue;
      if (g.number === GRAPH_NODE) nodes.push(readNode(model, g));
      else if (g.number === GRAPH_INITIALIZER) {
        const info = readInitializer(model, g);
        initializers.set(info.name, info);
      }
    }
  }
  const producers = new Map(nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const modules = new Map<string, ModuleWeight>();
  const ambiguous = new Set<string>();
  for (const node of nodes) {
    if (node.domain !== '' || !['MatMul', 'Gemm', 'Conv'].includes(node.opType) || node.inputs.length < 2) continue;
    const module = modulePath(node.name);
    if (!module) continue;
    // the weight: an initializer, maybe behind Cast (fp16 storage) or Transpose (perm 1, 0)
    let name = node.inputs[1]!;
    let transposed = false;
    for (let hops = 0; hops < 4 && !initializers.has(name); hops++) {
      const p = producers.get(name);
      if (p?.opType === 'Cast') name = p.inputs[0]!;
      else if (p?.opType === 'Transpose' && (p.ints.get('perm') ?? [1, 0]).join() === '1,0') {
        name = p.inputs[0]!;
        transposed = !transposed;
      } else break;
    }
    const init = initializers.get(name);
    if (!init) continue; // activations x activations (attention scores)
    let layout: WeightLayout = node.opType === 'MatMul' ? 'in_out' : node.opType === 'Gemm' && (node.ints.get('transB')?.[0] ?? 0) === 0 ? 'in_out' : 'out_in';
    if (transposed) layout = layout === 'in_out' ? 'out_in' : 'in_out';
    if (modules.has(module) && modules.get(module)!.initializer !== name) ambiguous.add(module);
    modules.set(module, { module, initializer: name, layout, opType: node.opType });
  }
  for (const module of ambiguous) modules.delete(module);
  const fusedOperators = [...new Set(nodes.filter((n) => n.domain !== '').map((n) => `${n.domain}.${n.opType}`))];
  return { modules, ambiguous, initializers, fusedOperators };
}

function readNode(bytes: Uint8Array, field: ProtobufField): RawNode {
  const node: RawNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], ints: new Map() };
  for (const f of protobufFields(bytes, field.start, field.end)) {
    if (f.wire !== 2) continue;
    const text = () => decoder.decode(bytes.subarray(f.start, f.end));
    if (f.number === NODE.input) node.inputs.push(text());
    else if (f.number === NODE.output) node.outputs.push(text());
    else if (f.number === NODE.name) node.name = text();
    else if (f.number === NODE.opType) node.opType = text();
    else if (f.number === NODE.domain) node.domain = text() === 'ai.onnx' ? '' : text();
    else if (f.number === NODE.attribute) {
      let name = '';
      const ints: number[] = [];
      for (const a of protobufFields(bytes, f.start, f.end)) {
        if (a.number === ATTR.name && a.wire === 2) name = decoder.decode(bytes.subarray(a.start, a.end));
        else if ((a.number === ATTR.i || a.number === ATTR.ints) && a.wire === 0) ints.push(a.value);
        else if (a.number === ATTR.ints && a.wire === 2) ints.push(...packedVarints(bytes, a.start, a.end));
      }
      if (ints.length) node.ints.set(name, ints);
    }
  }
  return node;
}

function readInitializer(bytes: Uint8Array, field: ProtobufField): InitializerInfo {
  const info: InitializerInfo = { name: '', dataType: 0, dims: [], field: { begin: field.begin, end: field.end }, raw: null, external: null };
  const entries: Record<string, string> = {};
  let external = false;
  for (const f of protobufFields(bytes, field.start, field.end)) {
    if (f.number === TENSOR.dims && f.wire === 0) info.dims.push(f.value);
    else if (f.number === TENSOR.dims && f.wire === 2) info.dims.push(...packedVarints(bytes, f.start, f.end));
    else if (f.number === TENSOR.dataType && f.wire === 0) info.dataType = f.value;
    else if (f.number === TENSOR.name && f.wire === 2) info.name = decoder.decode(bytes.subarray(f.start, f.end));
    else if (f.number === TENSOR.rawData && f.wire === 2) info.raw = { start: f.start, end: f.end };
    else if (f.number === TENSOR.dataLocation && f.wire === 0) external = f.value === 1;
    else if (f.number === TENSOR.externalData && f.wire === 2) {
      let key = '';
      let value = '';
      for (const e of protobufFields(bytes, f.start, f.end)) {
        if (e.number === 1 && e.wire === 2) key = decoder.decode(bytes.subarray(e.start, e.end));
        else if (e.number === 2 && e.wire === 2) value = decoder.decode(bytes.subarray(e.start, e.end));
      }
      entries[key] = value;
    }
  }
  if (external && entries.location) {
    info.external = { location: entries.location, offset: Number(entries.offset ?? 0), length: entries.length === undefined ? null : Number(entries.length) };
  }
  return info;
}
