/**
 * Which external-data files an ONNX model refers to, read from the graph itself instead of assumed
 * (exports name them `weights.pb`, `model.onnx_data`, `model.onnx.data`, one file per tensor, or
 * several shards). A small protobuf walker over onnx.proto3: it visits every TensorProto that can
 * hold weights (graph initializers, sparse initializers, Constant-node and other tensor attributes,
 * subgraphs of If/Loop/Scan, model-local functions) and reads each one's `external_data` entries
 * (`location`, `offset`, `length`), over the wire-format reader in protobuf.ts. Large fields
 * (raw_data) are skipped, not copied, so scanning a model that embeds its weights costs no more
 * than reading its bytes.
 *
 * Field numbers are onnx.proto3's (onnx 1.17+), e.g. ModelProto.graph = 7, GraphProto.initializer = 5,
 * TensorProto.external_data = 13, StringStringEntryProto key = 1 / value = 2.
 */
import { ModelFormatError } from '../errors.js';
import { protobufFields as fields, ProtobufError, type ProtobufField as Field } from './protobuf-read.js';

/** One tensor stored outside model.onnx. */
export interface ExternalDataReference {
  tensor: string;
  /** The file, relative to the directory of model.onnx, exactly as written in the graph. */
  location: string;
  /** Byte offset in that file (0 when absent). */
  offset: number;
  /** Byte length, or null when the graph leaves it out (then the tensor reaches the end of the file). */
  length: number | null;
}

/** One external-data file and how many of its bytes the graph reads. */
export interface ExternalDataFile {
  location: string;
  /** The end of the last tensor in it (offset + length); null when a tensor without length reads to the end. */
  bytesUsed: number | null;
  tensors: number;
}

// onnx.proto3 field numbers used here.
const MODEL_GRAPH = 7;
const MODEL_FUNCTIONS = 25;
const FUNCTION_NODE = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_SPARSE_INITIALIZER = 15;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_T = 5;
const ATTRIBUTE_G = 6;
const ATTRIBUTE_TENSORS = 10;
const ATTRIBUTE_GRAPHS = 11;
const ATTRIBUTE_SPARSE_TENSOR = 22;
const ATTRIBUTE_SPARSE_TENSORS = 23;
const SPARSE_VALUES = 1;
const SPARSE_INDICES = 2;
const TENSOR_NAME = 8;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const TENSOR_DATA_LOCATION_EXTERNAL = 1;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;

const decoder = new TextDecoder();
const text = (bytes: Uint8Array, f: Field) => decoder.decode(bytes.subarray(f.start, f.end));

function readTensor(bytes: Uint8Array, start: number, end: number, out: ExternalDataReference[]): void {
  let name = '';
  let external = false;
  const entries: Record<string, string> = {};
  for (const f of fields(bytes, start, end)) {
    if (f.number === TENSOR_NAME && f.wire === WIRE_BYTES) name = text(bytes, f);
    else if (f.number === TENSOR_DATA_LOCATION && f.wire === WIRE_VARINT) external = f.value === TENSOR_DATA_LOCATION_EXTERNAL;
    else if (f.number === TENSOR_EXTERNAL_DATA && f.wire === WIRE_BYTES) {
      let key = '';
      let value = '';
      for (const e of fields(bytes, f.start, f.end)) {
        if (e.number === ENTRY_KEY && e.wire === WIRE_BYTES) key = text(bytes, e);
        else if (e.number === ENTRY_VALUE && e.wire === WIRE_BYTES) value = text(bytes, e);
      }
      entries[key] = value;
    }
  }
  if (!external) return;
  const location = entries.location;
  if (!location) throw new ProtobufError(`tensor "${name}" is stored externally but has no location`);
  const number = (key: string): number | null => {
    if (entries[key] === undefined) return null;
    const n = Number(entries[key]);
    if (!Number.isSafeInteger(n) || n < 0) throw new ProtobufError(`tensor "${name}" has external-data ${key} "${entries[key]}"`);
    return n;
  };
  out.push({ tensor: name, location, offset: number('offset') ?? 0, length: number('length') });
}

function readSparseTensor(bytes: Uint8Array, start: number, end: number, out: ExternalDataReference[]): void {
  for (const f of fields(bytes, start, end)) {
    if ((f.number === SPARSE_VALUES || f.number === SPARSE_INDICES) && f.wire === WIRE_BYTES) readTensor(bytes, f.start, f.end, out);
  }
}

function readAttribute(bytes: Uint8Array, start: number, end: number, out: ExternalDataReference[]): void {
  for (const f of fields(bytes, start, end)) {
    if (f.wire !== WIRE_BYTES) continue;
    if (f.number === ATTRIBUTE_T || f.number === ATTRIBUTE_TENSORS) readTensor(bytes, f.start, f.end, out);
    else if (f.number === ATTRIBUTE_G || f.number === ATTRIBUTE_GRAPHS) readGraph(bytes, f.start, f.end, out);
    else if (f.number === ATTRIBUTE_SPARSE_TENSOR || f.number === ATTRIBUTE_SPARSE_TENSORS) readSparseTensor(bytes, f.start, f.end, out);
  }
}

function readNode(bytes: Uint8Array, start: number, end: number, out: ExternalDataReference[]): void {
  for (const f of fields(bytes, start, end)) {
    if (f.number === NODE_ATTRIBUTE && f.wire === WIRE_BYTES) readAttribute(bytes, f.start, f.end, out);
  }
}

function readGraph(bytes: Uint8Array, start: number, end: number, out: ExternalDataReference[]): void {
  for (const f of fields(bytes, start, end)) {
    if (f.wire !== WIRE_BYTES) continue;
    if (f.number === GRAPH_NODE) readNode(bytes, f.start, f.end, out);
    else if (f.number === GRAPH_INITIALIZER) readTensor(bytes, f.start, f.end, out);
    else if (f.number === GRAPH_SPARSE_INITIALIZER) readSparseTensor(bytes, f.start, f.end, out);
  }
}

/**
 * Checks that an external-data location stays inside the model's directory, as onnxruntime does:
 * relative, no `..`, no drive or scheme. Returns it with `\` as `/` and `./` segments dropped.
 */
export function normalizeExternalLocation(location: string, modelName = 'the model'): string {
  const path = location.replaceAll('\\', '/');
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path) || path.includes('://') || parts.includes('..') || parts.length === 0) {
    throw new ModelFormatError(`${modelName} refers to external data at "${location}", outside its folder: re-export it with the data file beside model.onnx.`);
  }
  return parts.join('/');
}

/** Every tensor of the model stored in an external file, in graph order. */
export function externalDataReferences(model: Uint8Array, modelName = 'the model'): ExternalDataReference[] {
  const out: ExternalDataReference[] = [];
  try {
    for (const f of fields(model, 0, model.length)) {
      if (f.wire !== WIRE_BYTES) continue;
      if (f.number === MODEL_GRAPH) readGraph(model, f.start, f.end, out);
      else if (f.number === MODEL_FUNCTIONS) {
        for (const g of fields(model, f.start, f.end)) if (g.number === FUNCTION_NODE && g.wire === WIRE_BYTES) readNode(model, g.start, g.end, out);
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
  return out.map((ref) => ({ ...ref, location: normalizeExternalLocation(ref.location, modelName) }));
}

/** The external-data files of the model, in the order the graph first names them, with the bytes it reads from each. */
export function externalDataFiles(model: Uint8Array, modelName = 'the model'): ExternalDataFile[] {
  const files = new Map<string, ExternalDataFile>();
  for (const ref of externalDataReferences(model, modelName)) {
    const file = files.get(ref.location) ?? { location: ref.location, bytesUsed: 0, tensors: 0 };
    file.tensors += 1;
    if (ref.length === null) file.bytesUsed = null;
    else if (file.bytesUsed !== null) file.bytesUsed = Math.max(file.bytesUsed, ref.offset + ref.length);
    files.set(ref.location, file);
  }
  return [...files.values()];
}
