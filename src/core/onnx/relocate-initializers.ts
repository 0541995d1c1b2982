/**
 * A copy of an ONNX model whose named initializers read their data from another external-data file: each
 * such TensorProto is rewritten as dims + data_type + name + external_data {location, offset, length} +
 * data_location EXTERNAL, whatever it held before (raw_data inline or another file's range). Every other
 * field of the model is copied byte for byte. Used to give a session merged weights (LoRA) without touching
 * the stored bytes: the merged tensors travel as one extra external-data buffer. Field numbers are onnx.proto3's.
 */
import { protobufFields } from './protobuf-read.js';
import { bytesField, concatBytes, varintField } from './protobuf-write.js';
import type { InitializerInfo } from './module-weights.js';

const MODEL_GRAPH = 7;
const TENSOR = { dims: 1, dataType: 2, name: 8, externalData: 13, dataLocation: 14 } as const;
const EXTERNAL = 1;

export interface Relocation {
  info: InitializerInfo;
  location: string;
  offset: number;
  length: number;
}

export function relocateInitializers(model: Uint8Array, relocations: readonly Relocation[]): Uint8Array {
  const byBegin = new Map(relocations.map((r) => [r.info.field.begin, r]));
  const entry = (key: string, value: string) => bytesField(TENSOR.externalData, concatBytes([bytesField(1, key), bytesField(2, value)]));
  const tensor = (r: Relocation) =>
    bytesField(
      5, // GraphProto.initializer
      concatBytes([
        ...r.info.dims.map((d) => varintField(TENSOR.dims, d)),
        varintField(TENSOR.dataType, r.info.dataType),
        bytesField(TENSOR.name, r.info.name),
        entry('location', r.location),
        entry('offset', String(r.offset)),
        entry('length', String(r.length)),
        varintField(TENSOR.dataLocation, EXTERNAL),
      ]),
    );
  const parts: Uint8Array[] = [];
  for (const m of protobufFields(model, 0, model.length)) {
    if (m.number !== MODEL_GRAPH || m.wire !== 2) {
      parts.push(model.subarray(m.begin, m.end));
      continue;
    }
    const graph: Uint8Array[] = [];
    for (const g of protobufFields(model, m.start, m.end)) {
      const r = byBegin.get(g.begin);
      graph.push(r ? tensor(r) : model.subarray(g.begin, g.end));
    }
    parts.push(bytesField(MODEL_GRAPH, concatBytes(graph)));
  }
  return concatBytes(parts);
}
