/**
 * weight_map.json (tools/sdprep/weight_map.py) read and checked against its graph: the fused fixture's map
 * places the packed self-attention layers in their blocks, and a map that is not one, or that names
 * initializers or blocks its graph does not have, is refused with the file named.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors.js';
import { graphWeights } from './module-weights.js';
import { parseWeightMap, withWeightMap } from './weight-map.js';

const TO_K = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_k';
const fusedGraph = () => graphWeights(new Uint8Array(readFileSync('fixtures/tiny-sd-fused/unet/model.onnx')));
const fusedMap = () => parseWeightMap(readFileSync('fixtures/tiny-sd-fused/unet/weight_map.json', 'utf8'), 'unet/weight_map.json');
const mapText = (modules: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ format: 'sd-web weight map', version: 1, modules, unmapped: [], ...extra });

describe('weight maps', () => {
  it("adds the packed layers to the fused graph's own, each a block of its Attention weight", () => {
    const graph = fusedGraph();
    expect(graph.modules.has(TO_K)).toBe(false);
    const mapped = withWeightMap(graph, fusedMap(), 'unet/weight_map.json');
    const k = mapped.modules.get(TO_K)!;
    expect(k.layout).toBe('in_out');
    const dims = graph.initializers.get(k.initializer)!.dims;
    expect(dims[1]).toBe(3 * k.slice!.size); // q, k, v side by side
    expect(k.slice).toEqual({ axis: 1, start: k.slice!.size, size: dims[0] });
    expect(mapped.modules.size).toBe(graph.modules.size + fusedMap().modules.size);
    expect(mapped.unmapped).toEqual([]);
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['another format', JSON.stringify({ format: 'x', version: 1, modules: {} }), /no "format"/],
    ['a later version', JSON.stringify({ format: 'sd-web weight map', version: 2, modules: {} }), /version 2, this engine reads 1/],
    ['an entry without a layout', mapText({ a: { initializer: 'w' } }), /a has no initializer and layout/],
    ['a bad slice', mapText({ a: { initializer: 'w', layout: 'in_out', slice: { axis: 2, start: 0, size: 4 } } }), /a's slice is not/],
  ])('refuses %s, naming the file', (_, text, why) => {
    expect(() => parseWeightMap(text, 'sd/unet/weight_map.json')).toThrow(ModelFormatError);
    expect(() => parseWeightMap(text, 'sd/unet/weight_map.json')).toThrow(why);
    expect(() => parseWeightMap(text, 'sd/unet/weight_map.json')).toThrow(/^sd\/unet\/weight_map\.json is not a weight map/);
  });

  it('refuses a map written for another graph: an initializer it lacks, or a block past its dims', () => {
    const graph = fusedGraph();
    const packed = fusedMap().modules.get(TO_K)!;
    const missing = parseWeightMap(mapText({ [TO_K]: { initializer: 'nope', layout: 'in_out' } }), 'm');
    expect(() => withWeightMap(graph, missing, 'sd/unet/weight_map.json')).toThrow(/places .*to_k in nope, which the graph does not have/);
    const past = parseWeightMap(
      mapText({ [TO_K]: { initializer: packed.initializer, layout: 'in_out', slice: { axis: 1, start: 3 * packed.slice!.size, size: packed.slice!.size } } }),
      'm',
    );
    expect(() => withWeightMap(graph, past, 'sd/unet/weight_map.json')).toThrow(/which is \[\d+, \d+\]: the map belongs to another graph/);
  });
});
