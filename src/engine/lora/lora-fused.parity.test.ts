// biome-ignore-all lint/complexity/useLiteralKeys: the test reads the pipeline's private sessions by name
/**
 * LoRAs merged into a folder that prepare_model.py fused (fixtures/tiny-sd-fused: the tiny UNet with the
 * self-attentions' q, k and v packed in com.microsoft.Attention weights, and the weight map the tool wrote
 * beside the graph), against the same diffusers references as lora-diffusers.parity.test.ts (fixtures/lora,
 * tools/make_lora_refs.py: load_lora_weights + set_adapters, torch fp32 CPU). Text encoder, VAE and
 * tokenizer from tiny-sd-fp32 (the same weights). onnxruntime-web's wasm backend in Node.
 *
 * Tolerances as the unfused cases: final latents relative L2 <= 1e-4, image max abs <= 2e-3. Besides the
 * pictures, the packed weights after the merge are compared, block by block, with the unfused folder's
 * merged weights (bound 1e-6: the same float32 sums in another order), so a block merged at the wrong
 * offset, transposed, or left out fails even where a picture might hide it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLoraFile, type LoraFile } from '../../core/lora/lora-file.js';
import { graphWeights, type InitializerInfo } from '../../core/onnx/module-weights.js';
import { parseWeightMap } from '../../core/onnx/weight-map.js';
import { DirectoryModelSource } from '../../node/directory-source.js';
import { wasmRuntime } from '../../node/ort-node.js';
import { caseRequest, type DiffusersCase } from '../../testing/diffusers-case.js';
import { readF32, readJson, resultParity } from '../../testing/reference-data.js';
import { tinyWithUnetFrom } from '../../testing/unet-folder.js';
import type { ModelPartFiles } from '../model/model-folder.js';
import { StableDiffusionPipeline } from '../pipeline.js';
import { type ActiveLora, loraPartFiles } from './lora-parts.js';

interface Case {
  id: string;
  loras: [string, number][];
  final_latents: { file: string };
  image: { file: string };
}
const manifest = readJson<{ request: DiffusersCase & { seed: number }; cases: Case[] }>('fixtures/lora/manifest.json');
const ref = (file: string) => readF32(`fixtures/lora/${file}`);
const lora = (name: string): LoraFile => readLoraFile(`${name}.safetensors`, new Uint8Array(readFileSync(`fixtures/lora/${name}.safetensors`)));
const active = (c: Case): ActiveLora[] => c.loras.map(([name, weight]) => ({ file: lora(name), weight }));
const request = { ...caseRequest(manifest.request), seed: manifest.request.seed, width: 128, height: 128 };
const withLoras = manifest.cases.filter((c) => c.loras.length > 0);
const fused = () => tinyWithUnetFrom('tiny-sd-fused');
const map = parseWeightMap(readFileSync('fixtures/tiny-sd-fused/unet/weight_map.json', 'utf8'), 'weight_map.json');

/** An initializer's values as float32 (fp32 folders), from the part's model bytes or external data. */
function values(files: ModelPartFiles, info: InitializerInfo): Float32Array {
  if (info.raw) return new Float32Array(files.model.slice(info.raw.start, info.raw.end).buffer);
  const entry = files.externalData.find((e) => e.path === info.external!.location)!;
  const bytes = typeof entry.data === 'string' ? new Uint8Array(readFileSync(entry.data)) : entry.data;
  const count = info.dims.reduce((a, b) => a * b, 1);
  return new Float32Array(bytes.slice(info.external!.offset, info.external!.offset + count * 4).buffer);
}

describe('LoRAs merged into a fused folder through its weight map (tiny-sd-fused)', () => {
  let pipeline: StableDiffusionPipeline;
  beforeAll(async () => {
    pipeline = await StableDiffusionPipeline.load(wasmRuntime(), fused(), { executionProviders: ['wasm'] });
  });
  afterAll(() => pipeline?.dispose());

  it('is fused, packs the self-attentions, and its map places every packed layer; the LoRAs reach them', () => {
    const graph = graphWeights(new Uint8Array(readFileSync('fixtures/tiny-sd-fused/unet/model.onnx')));
    expect(graph.fusedOperators).toContain('com.microsoft.Attention');
    const packed = [...map.modules.entries()].filter(([, e]) => e.slice);
    expect(packed.length).toBeGreaterThanOrEqual(18); // 6 self-attentions x q, k, v
    expect(map.unmapped).toEqual([]);
    for (const [module] of packed) expect(graph.modules.has(module)).toBe(false); // the graph's names no longer show them
    const kohya = (m: string) => m.replaceAll('.', '_');
    const reached = withLoras.filter((c) =>
      c.loras.some(([name]) => lora(name).layers.some((l) => l.part === 'unet' && packed.some(([m]) => l.module === m || l.module === kohya(m)))),
    );
    expect(reached.length).toBeGreaterThanOrEqual(2);
  });

  it.each(withLoras.map((c) => [c.id, c] as const))('%s', async (_, c) => {
    await pipeline.setLoras(active(c));
    const error = resultParity(`fused lora ${c.id}`, await pipeline.generate(request), ref(c.final_latents.file), ref(c.image.file));
    expect(error.latents).toBeLessThanOrEqual(1e-4);
    expect(error.image).toBeLessThanOrEqual(2e-3);
  });

  it('merges each packed block as the unfused folder merges its layer', async () => {
    const loras = active(withLoras.find((c) => c.id === 'two_loras')!);
    const runtime = wasmRuntime();
    const fusedUnet = (await loraPartFiles(fused(), loras, runtime, ['unet'])).get('unet')!;
    const plainUnet = (await loraPartFiles(new DirectoryModelSource('fixtures/tiny-sd-fp32'), loras, runtime, ['unet'])).get('unet')!;
    const fusedGraph = graphWeights(fusedUnet.model);
    const plainGraph = graphWeights(plainUnet.model);
    let compared = 0;
    for (const [module, entry] of map.modules) {
      const slice = entry.slice!;
      const packedInfo = fusedGraph.initializers.get(entry.initializer)!;
      expect(packedInfo.external?.location).toBe('lora-merged.bin'); // merged, not the stored bytes
      const packed = values(fusedUnet, packedInfo);
      const plainModule = plainGraph.modules.get(module)!;
      const plain = values(plainUnet, plainGraph.initializers.get(plainModule.initializer)!);
      expect(plainModule.layout).toBe(entry.layout);
      const [rows, cols] = packedInfo.dims as [number, number];
      let worst = 0;
      for (let r = 0; r < rows; r++)
        for (let j = 0; j < slice.size; j++) worst = Math.max(worst, Math.abs(packed[r * cols + slice.start + j]! - plain[r * slice.size + j]!));
      expect(worst, module).toBeLessThanOrEqual(1e-6);
      compared++;
    }
    expect(compared).toBe(map.modules.size);
  });

  it('without its weight map, a LoRA on the packed layers is refused with what to do, before any weight changes', async () => {
    const noMap = await StableDiffusionPipeline.load(wasmRuntime(), tinyWithUnetFrom('tiny-sd-fused', ['unet/weight_map.json']), {
      executionProviders: ['wasm'],
    });
    try {
      const unet = noMap['unet'];
      await expect(noMap.setLoras(active(withLoras.find((c) => c.id === 'two_loras')!))).rejects.toThrow(
        /match no layer of tiny-sd-fused\/unet.*graph is fused .*has no weight_map\.json: prepare it again/,
      );
      expect(noMap['unet']).toBe(unet);
    } finally {
      await noMap.dispose();
    }
  });
});
