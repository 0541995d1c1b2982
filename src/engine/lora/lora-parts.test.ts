// biome-ignore-all lint/complexity/useLiteralKeys: the test reads the pipeline's private sessions by name
/**
 * The merge's edges on the tiny fixtures: which layer each graph node's weight is (torch's node names,
 * a wrapper's `/m/` prefix, MatMul's transposed weights), fp16 weights merged in float32 and rounded once
 * (checked against a float64 computation of W + s · up @ down rounded to fp16), a merge past float16's
 * 65504 refused, keys that match no layer listed, shapes of another architecture refused, fused graphs
 * named, and a refused set leaving a loaded pipeline as it was.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryModelSource } from '../../node/directory-source.js';
import { wasmRuntime } from '../../node/ort-node.js';
import { fromFloat16Bits, toFloat16Bits } from '../../core/float16.js';
import { readLoraFile, type LoraFile } from '../../core/lora/lora-file.js';
import { graphWeights, type GraphWeights } from '../../core/onnx/module-weights.js';
import { safetensorsBytes } from '../../testing/safetensors-write.js';
import { StableDiffusionPipeline } from '../pipeline.js';
import { changedLoraParts, loraPartFiles, loraTargets, planLoraMerge } from './lora-parts.js';

const TO_Q = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q';
const unetGraph = (folder: string) => graphWeights(new Uint8Array(readFileSync(`fixtures/${folder}/unet/model.onnx`)));

/** A kohya LoRA on one layer: down (r, in), up (out, r) from a simple deterministic pattern times `size`. */
function kohyaLora(module: string, out: number, inn: number, rank: number, alpha: number, size = 1): LoraFile {
  const key = `lora_unet_${module.replaceAll('.', '_')}`;
  return readLoraFile(
    'one.safetensors',
    safetensorsBytes({
      [`${key}.lora_down.weight`]: { shape: [rank, inn], values: Array.from({ length: rank * inn }, (_, i) => (((i * 37) % 11) / 11 - 0.5) * size) },
      [`${key}.lora_up.weight`]: { shape: [out, rank], values: Array.from({ length: out * rank }, (_, i) => (((i * 13) % 7) / 7 - 0.4) * size) },
      [`${key}.alpha`]: { shape: [], values: [alpha] },
    }),
  );
}

describe('module weights from torch-exported graphs', () => {
  it('maps module paths to initializers and layouts (MatMul transposed, Gemm transB, Conv)', () => {
    const g = unetGraph('tiny-sd-fp32');
    expect(g.modules.get(TO_Q)).toMatchObject({ initializer: 'onnx::MatMul_2380', layout: 'in_out', opType: 'MatMul' });
    expect(g.modules.get('down_blocks.0.resnets.0.time_emb_proj')).toMatchObject({ layout: 'out_in', opType: 'Gemm' });
    expect(g.modules.get('down_blocks.0.resnets.0.conv1')).toMatchObject({ initializer: 'down_blocks.0.resnets.0.conv1.weight', layout: 'out_in' });
    expect(g.modules.has('down_blocks.0.attentions.0.transformer_blocks.0.attn1')).toBe(false); // attention scores: no weight
    expect(g.initializers.get('onnx::MatMul_2380')!.external).toMatchObject({ location: 'weights.pb' });
    expect(g.fusedOperators).toEqual([]);
  });

  it('reads through a wrapper prefix (/m/) and the text encoder without text_model', () => {
    expect(unetGraph('tiny-sd-portable').modules.has(TO_Q)).toBe(true);
    const te = graphWeights(new Uint8Array(readFileSync('fixtures/tiny-sd-fp32/text_encoder/model.onnx')));
    expect(te.modules.get('encoder.layers.0.self_attn.q_proj')).toMatchObject({ layout: 'in_out' });
  });
});

describe('merging', () => {
  it.each([
    ['the JavaScript kernel', {}],
    ["onnxruntime's MatMul", wasmRuntime()],
  ] as const)('merges fp16 weights in float32 and rounds once (%s)', async (_, runtime) => {
    const source = new DirectoryModelSource('fixtures/tiny-sd-fp16');
    const lora = kohyaLora(TO_Q, 32, 32, 4, 3, 0.5); // scale 0.75
    const files = (await loraPartFiles(source, [{ file: lora, weight: 0.8 }], runtime)).get('unet')!;
    const before = unetGraph('tiny-sd-fp16');
    const info = before.initializers.get(before.modules.get(TO_Q)!.initializer)!;
    expect(info.dataType).toBe(10);
    const weights = readFileSync('fixtures/tiny-sd-fp16/unet/weights.pb');
    const base = new Uint16Array(
      weights.buffer.slice(weights.byteOffset + info.external!.offset, weights.byteOffset + info.external!.offset + info.external!.length!),
    );
    const after = graphWeights(files.model).initializers.get(info.name)!;
    const buffer = files.externalData.find((e) => e.path === after.external!.location)!.data as Uint8Array;
    const merged = new Uint16Array(buffer.slice(after.external!.offset, after.external!.offset + after.external!.length!).buffer);
    const [layer] = lora.layers;
    let exact = 0;
    for (let i = 0; i < 32; i++) {
      for (let o = 0; o < 32; o++) {
        let delta = 0;
        for (let r = 0; r < 4; r++) delta += layer!.up[o * 4 + r]! * layer!.down[r * 32 + i]!;
        const expected = toFloat16Bits(fromFloat16Bits(base[i * 32 + o]!) + 0.8 * 0.75 * delta); // (in, out) layout
        const got = merged[i * 32 + o]!;
        expect(Math.abs(got - expected)).toBeLessThanOrEqual(1); // float32 vs float64 sums: at most one ulp, on a tie
        if (got === expected) exact++;
      }
    }
    expect(exact).toBeGreaterThanOrEqual(1000);
    expect(merged.some((v, i) => v !== base[i])).toBe(true);
  });

  it('refuses a merge past float16 range instead of storing Inf', async () => {
    const huge = kohyaLora(TO_Q, 32, 32, 4, 4, 1000); // deltas up to ~ 4 * 500 * 600
    await expect(loraPartFiles(new DirectoryModelSource('fixtures/tiny-sd-fp16'), [{ file: huge, weight: 1 }], {})).rejects.toThrow(
      /past float16's 65504: lower the LoRA's weight or use the fp32 model/,
    );
    // fp32 takes it, up to float32's own range
    await expect(loraPartFiles(new DirectoryModelSource('fixtures/tiny-sd-fp32'), [{ file: huge, weight: 1 }], {})).resolves.toBeDefined();
    await expect(loraPartFiles(new DirectoryModelSource('fixtures/tiny-sd-fp32'), [{ file: huge, weight: 1e36 }], {})).rejects.toThrow(
      /gives NaN or infinite weights: lower the LoRA's weight/,
    );
  });

  it('lists keys that match no layer, and refuses shapes of another architecture', () => {
    const g = unetGraph('tiny-sd-fp32');
    const stray = kohyaLora('down_blocks.3.attentions.0.transformer_blocks.0.attn1.to_q', 32, 32, 4, 4);
    expect(() => planLoraMerge('unet', g, [{ file: stray, weight: 1 }], 'tiny/unet')).toThrow(
      /one\.safetensors: 1 of its unet layers match no layer of tiny\/unet \(lora_unet_down_blocks_3_attentions_0_transformer_blocks_0_attn1_to_q\): it was made for another model/,
    );
    const wide = kohyaLora(TO_Q, 320, 320, 4, 4); // SD 1.x's real to_q on the tiny model
    expect(() => planLoraMerge('unet', g, [{ file: wide, weight: 1 }], 'tiny/unet')).toThrow(
      /is \(320, 320\), the model's down_blocks\.0\.attentions\.0\.transformer_blocks\.0\.attn1\.to_q is \(32, 32\)\. It was made for another architecture/,
    );
  });

  it('names a fused graph when layers are missing from it', () => {
    const fused: GraphWeights = { modules: new Map(), ambiguous: new Set(), initializers: new Map(), fusedOperators: ['com.microsoft.MultiHeadAttention'] };
    expect(() => planLoraMerge('unet', fused, [{ file: kohyaLora(TO_Q, 32, 32, 4, 4), weight: 1 }], 'sd/unet')).toThrow(
      /graph is fused \(com\.microsoft\.MultiHeadAttention\).*prepare_model\.py --lora/,
    );
  });
});

describe('which sessions a LoRA set changes', () => {
  const both = readLoraFile('kohya_attn_te.safetensors', new Uint8Array(readFileSync('fixtures/lora/kohya_attn_te.safetensors'))); // UNet + text encoder
  const unetOnly = kohyaLora(TO_Q, 32, 32, 4, 4);
  it('follows the per-part weights (A1111 te / unet multipliers)', () => {
    expect([...loraTargets([{ file: both, weight: 0.8, unetWeight: 0 }])]).toEqual(['text_encoder']);
    expect([...loraTargets([{ file: both, weight: 0, unetWeight: 1 }])]).toEqual(['unet']);
    expect(changedLoraParts([{ file: both, weight: 0.7 }], [{ file: both, weight: 0.7, unetWeight: 0.7 }])).toEqual([]);
    expect(changedLoraParts([{ file: both, weight: 0.7 }], [{ file: both, weight: 0.7, unetWeight: 0.5 }])).toEqual(['unet']);
    expect(changedLoraParts([{ file: both, weight: 0.7 }], [{ file: both, weight: 0.6, unetWeight: 0.7 }])).toEqual(['text_encoder']);
    expect(changedLoraParts([], [{ file: unetOnly, weight: 1 }])).toEqual(['unet']);
    expect(changedLoraParts([{ file: unetOnly, weight: 1 }], [{ file: unetOnly, weight: 0 }])).toEqual(['unet']);
    expect(
      changedLoraParts(
        [
          { file: unetOnly, weight: 1 },
          { file: both, weight: 1 },
        ],
        [
          { file: both, weight: 1 },
          { file: unetOnly, weight: 1 },
        ],
      ),
    ).toEqual(['unet']); // UNet sum order changes
  });
});

describe('a refused LoRA set', () => {
  let pipeline: StableDiffusionPipeline;
  beforeAll(async () => {
    pipeline = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource('fixtures/tiny-sd-fp32'), { executionProviders: ['wasm'] });
  });
  afterAll(() => pipeline?.dispose());

  it('changes nothing: same sessions, same LoRAs', async () => {
    const good = { file: kohyaLora(TO_Q, 32, 32, 4, 4), weight: 1 };
    await pipeline.setLoras([good]);
    const unet = pipeline['unet'];
    const stray = { file: kohyaLora('down_blocks.3.resnets.0.conv1', 32, 32, 4, 4), weight: 1 };
    await expect(pipeline.setLoras([good, stray])).rejects.toThrow(/match no layer/);
    expect(pipeline['unet']).toBe(unet);
    expect(pipeline.loras).toEqual([good]);
  });
});
