/**
 * What a model.onnx says about itself, read before any session exists: the operators its graph
 * uses (a folder prepared for WebGPU has com.microsoft fusions that wasm and the CPU EP lack), the
 * float type of its inputs (fp16 needs WebGPU's shader-f16) and the size of its largest weight
 * tensor (one GPU buffer each). Read from the top-level graph only, skipping weight bytes, so it
 * costs no more than reading the file. Field numbers are onnx.proto3's.
 */
import { ModelFormatError } from '../errors.js';
import { packedVarints, protobufFields, ProtobufError } from './protobuf-read.js';

export interface OnnxOperator {
  /** '' for the default ONNX domain, e.g. 'com.microsoft'. */
  domain: string;
  opType: string;
}

export interface GraphSummary {
  /** Distinct operators of the graph's nodes, in first-use order. */
  operators: OnnxOperator[];
  /** The float element type of the graph's float inputs; null when it has none. */
  floatType: 'float32' | 'float16' | null;
  /** Bytes of the largest initializer (inline or external), from its dims and element type. */
  largestTensorBytes: number;
  largestTensorName: string | null;
}

const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const NODE_OP_TYPE = 4;
const NODE_DOMAIN = 7;
const VALUE_INFO_TYPE = 2;
const TYPE_TENSOR = 1;
const TENSOR_TYPE_ELEM_TYPE = 1;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_NAME = 8;

/** onnx.TensorProto.DataType → bytes per element (strings and unknown types count 0). */
const ELEMENT_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };
const FLOAT = 1;
const FLOAT16 = 10;

const decoder = new TextDecoder();

function readNode(bytes: Uint8Array, start: number, end: number): OnnxOperator {
  let opType = '';
  let domain = '';
  for (const f of protobufFields(bytes, start, end)) {
    if (f.number === NODE_OP_TYPE && f.wire === 2) opType = decoder.decode(bytes.subarray(f.start, f.end));
    else if (f.number === NODE_DOMAIN && f.wire === 2) domain = decoder.decode(bytes.subarray(f.start, f.end));
  }
  return { domain: domain === 'ai.onnx' ? '' : domain, opType };
}

function inputElemType(bytes: Uint8Array, start: number, end: number): number | null {
  for (const v of protobufFields(bytes, start, end)) {
    if (v.number !== VALUE_INFO_TYPE || v.wire !== 2) continue;
    for (const t of protobufFields(bytes, v.start, v.end)) {
      if (t.number !== TYPE_TENSOR || t.wire !== 2) continue;
      for (const e of protobufFields(bytes, t.start, t.end)) if (e.number === TENSOR_TYPE_ELEM_TYPE && e.wire === 0) return e.value;
    }
  }
  return null;
}

function tensorBytes(bytes: Uint8Array, start: number, end: number): { name: string; bytes: number } {
  let name = '';
  let type = 0;
  let count = 1;
  for (const f of protobufFields(bytes, start, end)) {
    if (f.number === TENSOR_DIMS && f.wire === 0) count *= f.value;
    else if (f.number === TENSOR_DIMS && f.wire === 2) for (const d of packedVarints(bytes, f.start, f.end)) count *= d;
    else if (f.number === TENSOR_DATA_TYPE && f.wire === 0) type = f.value;
    else if (f.number === TENSOR_NAME && f.wire === 2) name = decoder.decode(bytes.subarray(f.start, f.end));
  }
  return { name, bytes: count * (ELEMENT_BYTES[type] ?? 0) };
}

/** The graph's operators, input float type and largest initializer. Throws ModelFormatError for bytes that are not an ONNX model. */
export function summarizeGraph(model: Uint8Array, modelName = 'the model'): GraphSummary {
  const seen = new Map<string, OnnxOperator>();
  const floatTypes = new Set<number>();
  let largest = { name: null as string | null, bytes: 0 };
  try {
    for (const m of protobufFields(model, 0, model.length)) {
      if (m.number !== MODEL_GRAPH || m.wire !== 2) continue;
      for (const g of protobufFields(model, m.start, m.end)) {
        if (g.wire !== 2) continue;
        if (g.number === GRAPH_NODE) {
          const op = readNode(model, g.start, g.end);
          seen.set(`${op.domain}.${op.opType}`, op);
        } else if (g.number === GRAPH_INPUT) {
          const type = inputElemType(model, g.start, g.end);
          if (type === FLOAT || type === FLOAT16) floatTypes.add(type);
        } else if (g.number === GRAPH_INITIALIZER) {
          const tensor = tensorBytes(model, g.start, g.end);
          if (tensor.bytes > largest.bytes) largest = tensor;
        }
      }
    }
  } catch (error) {
    if (error instanceof ProtobufError) {
      throw new ModelFormatError(
        `${modelName} is not a readable ONNX model (${error.message}): the file may be damaged or incomplete; download or export it again.`,
      );
    }
    throw error;
  }
  return {
    operators: [...seen.values()],
    floatType: floatTypes.has(FLOAT16) ? 'float16' : floatTypes.has(FLOAT) ? 'float32' : null,
    largestTensorBytes: largest.bytes,
    largestTensorName: largest.name,
  };
}
