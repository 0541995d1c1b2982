/**
 * LoRAs merged into the text encoder's and the UNet's weights before their sessions are made
 * (W' = W + Σ weight · scale · up @ down, core/lora/lora-merge.ts). A merge is a view: the merged tensors
 * are new bytes, given to onnxruntime as one more external-data buffer, and the graph's initializers are
 * pointed at them (core/onnx/relocate-initializers.ts); the source's files are read, never written, so
 * without LoRAs the session is made from the very same bytes as before.
 *
 * Every layer of every LoRA is matched against its graph before any weight is merged: a key that names no
 * layer of this model, or a shape that does not fit, is refused with the list. In a folder whose graphs
 * prepare_model.py fused, the layers the fusions packed (a self-attention's q, k, v in one Attention weight)
 * are found through the weight map the tool writes beside the graph (core/onnx/weight-map.ts) and merged
 * into their block of the packed weight; a fused folder without a map is refused for them. fp16 weights are
 * merged in float32 and rounded once; a result past float16's range is refused, never stored as Inf.
 */
import { LoraError, type LoraFile, type LoraLayer, type LoraPart } from '../../core/lora/lora-file.js';
import { graphWeights, type GraphWeights, type InitializerInfo, type ModuleWeight } from '../../core/onnx/module-weights.js';
import { parseWeightMap, WEIGHT_MAP_FILE, withWeightMap } from '../../core/onnx/weight-map.js';
import { readModelPart, type ModelPartFiles } from '../model/model-folder.js';
import type { ModelSource } from '../model/model-source.js';
import { OrtMatmul } from '../runtime/ort-matmul.js';
import { mergePart, type Target } from './merged-part.js';
import type { OrtModule } from '../runtime/ort.js';

/** A LoRA in use: its layers and the user's weight (1 by default; 0 turns it off). */
export interface ActiveLora {
  file: LoraFile;
  /** The text encoder's weight, and the UNet's unless unetWeight is given (A1111's te / unet multipliers). */
  weight: number;
  unetWeight?: number;
}

/** The weight of a LoRA for one part. */
export function partWeight(lora: ActiveLora, part: LoraPart): number {
  return part === 'unet' ? (lora.unetWeight ?? lora.weight) : lora.weight;
}

export const LORA_PARTS: readonly LoraPart[] = ['text_encoder', 'unet'];

/** The parts some layer of these LoRAs targets with a non-zero weight. */
export function loraTargets(loras: readonly ActiveLora[]): Set<LoraPart> {
  return new Set(loras.flatMap((l) => l.file.layers.map((layer) => layer.part).filter((part) => partWeight(l, part) !== 0)));
}

/** The parts whose merged weights differ between two LoRA sets (the same files with the same weights, in the same order, per part). */
export function changedLoraParts(before: readonly ActiveLora[], after: readonly ActiveLora[]): LoraPart[] {
  const touching = (set: readonly ActiveLora[], part: LoraPart) =>
    set.filter((l) => partWeight(l, part) !== 0 && l.file.layers.some((layer) => layer.part === part));
  return LORA_PARTS.filter((part) => {
    const a = touching(before, part);
    const b = touching(after, part);
    return a.length !== b.length || a.some((l, i) => l.file !== b[i]!.file || partWeight(l, part) !== partWeight(b[i]!, part));
  });
}

/** A layer's module path as module-weights.ts spells it (text encoder paths without `text_model`); kohya's with '_' for '.'. */
function layerKey(layer: LoraLayer): string {
  return layer.part === 'text_encoder' ? layer.module.replace(/^text_model[._]/, '') : layer.module;
}

/**
 * Each targeted layer weight (by initializer, and block for a packed one) with the LoRA layers that change it;
 * throws LoraError for anything that does not fit.
 */
export function planLoraMerge(part: LoraPart, graph: GraphWeights, loras: readonly ActiveLora[], modelName: string): Map<string, Target> {
  const byKohya = new Map([...graph.modules.values()].map((m) => [m.module.replaceAll('.', '_'), m] as const));
  const targets = new Map<string, Target>();
  for (const lora of loras) {
    const weight = partWeight(lora, part);
    if (weight === 0) continue;
    if (!Number.isFinite(weight)) throw new LoraError(`${lora.file.name}: its weight ${weight} is not a finite number.`);
    const layers = lora.file.layers.filter((l) => l.part === part);
    const unmatched: string[] = [];
    const unplaced: string[] = []; // unmatched, and in the weight map's unmapped list
    const misfit: string[] = [];
    for (const layer of layers) {
      const key = layerKey(layer);
      const module = layer.naming === 'kohya' ? byKohya.get(key) : graph.modules.get(key);
      const info = module && graph.initializers.get(module.initializer);
      if (!module || !info) {
        unmatched.push(layer.key);
        if (graph.unmapped?.some((m) => m === key || m.replaceAll('.', '_') === key)) unplaced.push(layer.key);
        continue;
      }
      const shape = moduleShape(module, info);
      const [, layerIn, kh = 1, kw = 1] = layer.downShape;
      const layerOut = layer.upShape[0]!;
      if (!shape || shape.out !== layerOut || shape.in !== layerIn || shape.kh !== kh || shape.kw !== kw) {
        misfit.push(
          `${layer.key} is (${layerOut}, ${layerIn}${kh * kw > 1 ? `, ${kh}, ${kw}` : ''}), the model's ${module.module} is (${shape ? `${shape.out}, ${shape.in}${shape.kh * shape.kw > 1 ? `, ${shape.kh}, ${shape.kw}` : ''}` : info.dims.join(', ')})`,
        );
        continue;
      }
      const targetKey = module.slice ? `${info.name}[${module.slice.axis}:${module.slice.start}]` : info.name;
      const target = targets.get(targetKey) ?? { module, info, outFeatures: shape.out, inFeatures: shape.in * shape.kh * shape.kw, contributions: [] };
      target.contributions.push({ layer, weight });
      targets.set(targetKey, target);
    }
    const fused = !graph.fusedOperators.length
      ? ''
      : graph.unmapped === undefined
        ? ` ${modelName}'s graph is fused (${graph.fusedOperators.slice(0, 3).join(', ')}) and has no weight_map.json: prepare it again with this prepare_model.py (which writes the map), use an unfused folder (--target portable), or bake the LoRA in with prepare_model.py --lora.`
        : unplaced.length
          ? ` ${modelName}'s weight_map.json could not place some fused layers (${graph.unmapped.slice(0, 3).join(', ')}): use an unfused folder (--target portable), or bake the LoRA in with prepare_model.py --lora.`
          : '';
    if (unmatched.length) {
      throw new LoraError(
        `${lora.file.name}: ${unmatched.length} of its ${part} layers match no layer of ${modelName} (${unmatched.slice(0, 8).join(', ')}${unmatched.length > 8 ? ` and ${unmatched.length - 8} more` : ''}): it was made for another model.${fused}`,
      );
    }
    if (misfit.length)
      throw new LoraError(
        `${lora.file.name} does not fit ${modelName}: ${misfit.slice(0, 4).join('; ')}${misfit.length > 4 ? ` and ${misfit.length - 4} more` : ''}. It was made for another architecture (SD 2.x or SDXL?), not SD 1.x.${fused}`,
      );
  }
  return targets;
}

/** (out, in, kh, kw) of the module's weight from the initializer's dims (its block's), and layout; null for an unexpected rank. */
function moduleShape(module: ModuleWeight, info: InitializerInfo): { out: number; in: number; kh: number; kw: number } | null {
  const d = [...info.dims];
  if (module.slice) d[module.slice.axis] = module.slice.size;
  if (d.length === 2) return module.layout === 'in_out' ? { out: d[1]!, in: d[0]!, kh: 1, kw: 1 } : { out: d[0]!, in: d[1]!, kh: 1, kw: 1 };
  if (d.length === 4 && module.layout === 'out_in') return { out: d[0]!, in: d[1]!, kh: d[2]!, kw: d[3]! };
  return null;
}

/**
 * The files of each part the LoRAs target, merged (absent: a part left as stored). All parts are planned, i.e.
 * every layer matched and checked, before any weight is read or merged. `parts`: the parts to build.
 * `runtime`: the engine's onnxruntime, whose wasm MatMul computes the merge (runtime/ort-matmul.ts); without
 * InferenceSession (tests of the maths alone) the JavaScript kernel does.
 */
export async function loraPartFiles(
  source: ModelSource,
  loras: readonly ActiveLora[],
  runtime: Partial<OrtModule>,
  parts: readonly LoraPart[] = LORA_PARTS,
): Promise<ReadonlyMap<string, ModelPartFiles>> {
  const targeted = loraTargets(loras);
  const plans: { part: LoraPart; files: ModelPartFiles; targets: Map<string, Target> }[] = [];
  for (const part of parts) {
    if (!targeted.has(part)) continue;
    const files = await readModelPart(source, part);
    const modelName = `${source.name}/${part}`;
    plans.push({ part, files, targets: planLoraMerge(part, await partWeights(source, part, files.model), loras, modelName) });
  }
  const out = new Map<LoraPart, ModelPartFiles>();
  if (!plans.length) return out;
  const matmul = runtime.InferenceSession && runtime.Tensor ? await OrtMatmul.create(runtime as OrtModule) : null;
  try {
    for (const { part, files, targets } of plans) out.set(part, await mergePart(source, part, files, targets, matmul?.addProducts));
  } finally {
    await matmul?.dispose();
  }
  return out;
}

/** The part's layer weights: from its graph's node names, and its weight map where prepare_model.py fused the graph. */
async function partWeights(source: ModelSource, part: LoraPart, model: Uint8Array): Promise<GraphWeights> {
  const graph = graphWeights(model, `${source.name}/${part}`);
  const mapPath = `${part}/${WEIGHT_MAP_FILE}`;
  if (!(await source.has(mapPath))) return graph;
  const where = `${source.name}/${mapPath}`;
  return withWeightMap(graph, parseWeightMap(await source.readText(mapPath), where), where);
}
