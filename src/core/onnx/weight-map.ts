/**
 * A fused graph's weight map (`PART/weight_map.json`, written by tools/prepare_model.py: tools/sdprep/weight_map.py
 * says how it is made): where each layer's weight went when onnxruntime's optimiser fused the graph, for the
 * layers whose node names no longer show it (a self-attention's q, k and v packed side by side in one
 * Attention weight (in, 3 * out)). Each entry names the initializer, the layout of the layer's weight in it
 * and, for a packed weight, the block of rows (axis 0) or columns (axis 1) that is the layer's. The map's
 * layers are added to the graph's own (module-weights.ts), after checking each against the initializer's
 * dims, so that LoRAs merge into fused folders as into plain ones.
 */
import { ModelFormatError } from '../errors.js';
import type { GraphWeights, ModuleWeight, WeightLayout } from './module-weights.js';

export const WEIGHT_MAP_FILE = 'weight_map.json';
const FORMAT = 'sd-web weight map';
const VERSION = 1;

export interface WeightMap {
  modules: Map<string, Omit<ModuleWeight, 'module' | 'opType'>>;
  /** Layers whose weight the tool did not find in the fused graph. */
  unmapped: string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** Parses weight_map.json's text; throws ModelFormatError naming `where` for anything else. */
export function parseWeightMap(text: string, where: string): WeightMap {
  const refuse = (why: string): never => {
    throw new ModelFormatError(`${where} is not a weight map prepare_model.py wrote (${why}): prepare the folder again.`);
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return refuse('not JSON');
  }
  if (!isRecord(json) || json.format !== FORMAT) return refuse(`no "format": "${FORMAT}"`);
  if (json.version !== VERSION) return refuse(`version ${String(json.version)}, this engine reads ${VERSION}`);
  if (!isRecord(json.modules)) return refuse('no "modules" object');
  const modules: WeightMap['modules'] = new Map();
  for (const [module, entry] of Object.entries(json.modules)) {
    if (!isRecord(entry) || typeof entry.initializer !== 'string' || (entry.layout !== 'in_out' && entry.layout !== 'out_in'))
      return refuse(`${module} has no initializer and layout`);
    const value: Omit<ModuleWeight, 'module' | 'opType'> = { initializer: entry.initializer, layout: entry.layout as WeightLayout };
    if (entry.slice !== undefined) {
      const s = entry.slice;
      if (!isRecord(s) || (s.axis !== 0 && s.axis !== 1) || !isCount(s.start) || !isCount(s.size) || s.size === 0)
        return refuse(`${module}'s slice is not {axis: 0 or 1, start, size}`);
      value.slice = { axis: s.axis, start: s.start, size: s.size };
    }
    modules.set(module, value);
  }
  const unmapped = Array.isArray(json.unmapped) ? json.unmapped.filter((m): m is string => typeof m === 'string') : [];
  return { modules, unmapped };
}

/**
 * The graph's layers with the map's added (the map's entry wins where both name a layer). Throws
 * ModelFormatError when an entry names no initializer of this graph, or a block outside its dims: the map was
 * written for another graph.
 */
export function withWeightMap(graph: GraphWeights, map: WeightMap, where: string): GraphWeights {
  const modules = new Map(graph.modules);
  for (const [module, entry] of map.modules) {
    const info = graph.initializers.get(entry.initializer);
    const fits = info && info.dims.length === 2 && (!entry.slice || entry.slice.start + entry.slice.size <= info.dims[entry.slice.axis]!);
    if (!fits)
      throw new ModelFormatError(
        `${where} places ${module} in ${entry.initializer}${entry.slice ? ` (axis ${entry.slice.axis}, ${entry.slice.start} + ${entry.slice.size})` : ''}, which ${info ? `is [${info.dims.join(', ')}]` : 'the graph does not have'}: the map belongs to another graph. Prepare the folder again.`,
      );
    modules.set(module, { module, opType: 'weight map', ...entry });
  }
  return { ...graph, modules, unmapped: map.unmapped };
}
