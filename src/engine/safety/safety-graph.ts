/**
 * The safety checker's graph with its scores as outputs: a rewrite of diffusers' ONNX export
 * (`StableDiffusionSafetyChecker.forward_onnx`, convert_stable_diffusion_checkpoint_to_onnx.py) before its
 * session is made. The export outputs only `has_nsfw_concepts`, decided without diffusers' rounding
 * (core/safety-decision.ts); the scores it decides from are the two `Sub` nodes
 *
 *   special_cos_dist - special_care_embeds_weights   (B, 3)
 *   cos_dist - concept_embeds_weights                (B, 17)
 *
 * (the threshold reached directly or through Cast / Identity, as an fp16 conversion leaves it). Each gets
 * a Cast to float32 and becomes a graph output, `special_scores` and `concept_scores`; every other byte
 * of the model is copied unchanged. Field numbers are onnx.proto3's.
 */
import { ModelFormatError } from '../../core/errors.js';
import { protobufFields, type ProtobufField } from '../../core/onnx/protobuf-read.js';
import { bytesField, concatBytes, varintField } from '../../core/onnx/protobuf-write.js';

const MODEL_GRAPH = 7;
const GRAPH = { node: 1, initializer: 5, output: 12 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 } as const;
const ATTR = { name: 1, i: 3, type: 20 } as const;
const ATTR_INT = 2;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE_TENSOR = 1;
const TENSOR_TYPE_ELEM = 1;
const FLOAT = 1;

export const SCORE_OUTPUTS = { special: 'special_scores', concept: 'concept_scores' } as const;
const THRESHOLDS = { special: 'special_care_embeds_weights', concept: 'concept_embeds_weights' } as const;

const decoder = new TextDecoder();

interface Node {
  opType: string;
  inputs: string[];
  outputs: string[];
}

function readNode(bytes: Uint8Array, field: ProtobufField): Node {
  const node: Node = { opType: '', inputs: [], outputs: [] };
  for (const f of protobufFields(bytes, field.start, field.end)) {
    if (f.wire !== 2) continue;
    const text = decoder.decode(bytes.subarray(f.start, f.end));
    if (f.number === NODE.input) node.inputs.push(text);
    else if (f.number === NODE.output) node.outputs.push(text);
    else if (f.number === NODE.opType) node.opType = text;
  }
  return node;
}

/** The model with `special_scores` (B, S) and `concept_scores` (B, C) as float32 outputs. */
export function withSafetyScores(model: Uint8Array, modelName: string): Uint8Array {
  const modelFields = [...protobufFields(model, 0, model.length)];
  const graph = modelFields.find((f) => f.number === MODEL_GRAPH && f.wire === 2);
  if (!graph) throw new ModelFormatError(`${modelName} has no graph: download or export it again.`);
  const graphFields = [...protobufFields(model, graph.start, graph.end)];
  const nodes = graphFields.filter((f) => f.number === GRAPH.node && f.wire === 2).map((f) => readNode(model, f));
  const producers = new Map(nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  // A threshold's name, followed back through Cast / Identity (fp16 conversions insert them).
  const origin = (name: string): string => {
    for (let seen = 0; seen < 8; seen++) {
      const p = producers.get(name);
      if (!p || (p.opType !== 'Cast' && p.opType !== 'Identity')) return name;
      name = p.inputs[0] ?? name;
    }
    return name;
  };
  const scores = (threshold: string): string => {
    const subs = nodes.filter((n) => n.opType === 'Sub' && n.inputs.length === 2 && origin(n.inputs[1]!).endsWith(threshold));
    if (subs.length !== 1) {
      throw new ModelFormatError(
        `${modelName} is not diffusers' safety checker export: expected one Sub with ${threshold}, found ${subs.length}. Export it with tools/prepare_model.py (or diffusers' convert_stable_diffusion_checkpoint_to_onnx.py).`,
      );
    }
    return subs[0]!.outputs[0]!;
  };
  const added: Uint8Array[] = [];
  for (const kind of ['special', 'concept'] as const) {
    const source = scores(THRESHOLDS[kind]);
    const output = SCORE_OUTPUTS[kind];
    const cast = concatBytes([
      bytesField(NODE.input, source),
      bytesField(NODE.output, output),
      bytesField(NODE.name, `${output}/cast`),
      bytesField(NODE.opType, 'Cast'),
      bytesField(NODE.attribute, concatBytes([bytesField(ATTR.name, 'to'), varintField(ATTR.i, FLOAT), varintField(ATTR.type, ATTR_INT)])),
    ]);
    const info = concatBytes([bytesField(VALUE_INFO.name, output), bytesField(VALUE_INFO.type, bytesField(TYPE_TENSOR, varintField(TENSOR_TYPE_ELEM, FLOAT)))]);
    added.push(bytesField(GRAPH.node, cast), bytesField(GRAPH.output, info));
  }
  const newGraph = concatBytes([...graphFields.map((f) => model.subarray(f.begin, f.end)), ...added]);
  return concatBytes(modelFields.map((f) => (f === graph ? bytesField(MODEL_GRAPH, newGraph) : model.subarray(f.begin, f.end))));
}
