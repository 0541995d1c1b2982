// biome-ignore-all lint/complexity/useLiteralKeys: the test reads the pipeline's private sessions by name
/**
 * LoRAs merged by the engine against diffusers' own StableDiffusionPipeline with the same files loaded by
 * load_lora_weights(adapter_name=...) + set_adapters(names, adapter_weights): kohya (fp16, attention +
 * text encoder, alpha 2 / rank 4), LoCon 3x3 resnet convolutions (alpha 8 / rank 4), diffusers / peft
 * (lora_alpha 4 / rank 8 from the header's metadata), a bf16 text-encoder-only LoRA, and two LoRAs on the
 * same layers at once (weights 0.7 and -0.5). Reference data: fixtures/lora, made by tools/make_lora_refs.py
 * (diffusers, torch fp32 CPU, the tiny-sd fixture's weights; the command is in its manifest.json). The
 * engine runs on onnxruntime-web's wasm backend in Node.
 *
 * Tolerances as pipeline-diffusers.test.ts: final latents relative L2 <= 1e-4, image max abs <= 2e-3 (fp16 model: 5e-3)
 * (diffusers computes W x + s B A x unmerged; the engine (W + s B A) x). Each LoRA moves the picture by
 * 0.15 to 0.43 (max abs) from the base, checked below, so a LoRA dropped, a scale of alpha instead of
 * alpha / rank or a transposed delta fails by far.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryModelSource } from '../../node/directory-source.js';
import { nativeRuntime } from '../../node/ort-native.js';
import { wasmRuntime } from '../../node/ort-node.js';
import { maxAbsDiff, readF32, readJson, resultParity } from '../../testing/reference-data.js';
import { readLoraFile, type LoraFile } from '../../core/lora/lora-file.js';
import { StableDiffusionPipeline } from '../pipeline.js';
import { caseRequest, type DiffusersCase } from '../../testing/diffusers-case.js';
import type { ActiveLora } from './lora-parts.js';

interface ArrayRef {
  file: string;
  shape: number[];
}
interface Case {
  id: string;
  loras: [string, number][];
  final_latents: ArrayRef;
  image: ArrayRef;
}

const manifest = readJson<{ request: DiffusersCase & { seed: number }; cases: Case[] }>('fixtures/lora/manifest.json');
const ref = (file: string) => readF32(`fixtures/lora/${file}`);
const files = new Map<string, LoraFile>();
const lora = (name: string): LoraFile => {
  if (!files.has(name)) files.set(name, readLoraFile(`${name}.safetensors`, new Uint8Array(readFileSync(`fixtures/lora/${name}.safetensors`))));
  return files.get(name)!;
};
const active = (c: Case): ActiveLora[] => c.loras.map(([name, weight]) => ({ file: lora(name), weight }));
const request = { ...caseRequest(manifest.request), seed: manifest.request.seed, width: 128, height: 128 };
const base = manifest.cases.find((c) => c.id === 'base')!;
const withLoras = manifest.cases.filter((c) => c.loras.length > 0);

describe('LoRAs merged by the engine against diffusers (tiny-sd-fp32)', () => {
  let pipeline: StableDiffusionPipeline;
  beforeAll(async () => {
    pipeline = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource('fixtures/tiny-sd-fp32'), { executionProviders: ['wasm'] });
  });
  afterAll(() => pipeline?.dispose());

  it('covers both formats, LoCon, a text-encoder LoRA and two at once, each far from the base picture', () => {
    expect(new Set(withLoras.flatMap((c) => c.loras.map(([n]) => lora(n).format)))).toEqual(new Set(['kohya', 'diffusers']));
    expect(withLoras.some((c) => c.loras.length === 2)).toBe(true);
    expect(lora('locon').layers.some((l) => l.downShape.length === 4 && l.downShape[2] === 3)).toBe(true);
    expect(lora('peft_te').layers.every((l) => l.part === 'text_encoder')).toBe(true);
    for (const c of withLoras) expect(maxAbsDiff(ref(c.image.file), ref(base.image.file))).toBeGreaterThan(0.1);
  });

  it.each(withLoras.map((c) => [c.id, c] as const))('%s', async (_, c) => {
    await pipeline.setLoras(active(c));
    const result = await pipeline.generate(request);
    const error = resultParity(`lora ${c.id}`, result, ref(c.final_latents.file), ref(c.image.file));
    expect(error.latents).toBeLessThanOrEqual(1e-4);
    expect(error.image).toBeLessThanOrEqual(2e-3);
  });

  it('gives back the base picture, byte for byte, when the LoRAs are removed; re-creates only the sessions a LoRA changes', async () => {
    const fresh = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource('fixtures/tiny-sd-fp32'), { executionProviders: ['wasm'] });
    try {
      const before = await fresh.generate(request);
      const error = resultParity('lora base', before, ref(base.final_latents.file), ref(base.image.file));
      expect(error.image).toBeLessThanOrEqual(2e-3);
      const unet = fresh['unet'];
      const textEncoder = fresh['textEncoder'];
      await fresh.setLoras([{ file: lora('peft_te'), weight: 1.5 }]); // text encoder only
      expect(fresh['unet']).toBe(unet);
      expect(fresh['textEncoder']).not.toBe(textEncoder);
      await fresh.setLoras([
        { file: lora('peft_te'), weight: 1.5 },
        { file: lora('locon'), weight: 1 },
      ]); // adds a UNet LoRA
      expect(fresh['unet']).not.toBe(unet);
      const te = fresh['textEncoder'];
      await fresh.setLoras([
        { file: lora('locon'), weight: 1 },
        { file: lora('peft_te'), weight: 1.5 },
      ]);
      expect(fresh['textEncoder']).toBe(te); // same per-part set: nothing re-created
      await fresh.setLoras([]);
      const after = await fresh.generate(request);
      expect(Buffer.from(after.rgba).equals(Buffer.from(before.rgba))).toBe(true);
      expect(Buffer.from(after.image.buffer).equals(Buffer.from(before.image.buffer))).toBe(true);
    } finally {
      await fresh.dispose();
    }
  });

  it('merges into the fp16 model (float32 maths, rounded once) within the fp16 bound (5e-3, as the fp16 CLI test)', async () => {
    const c = withLoras.find((x) => x.id === 'two_loras')!;
    const fp16 = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource('fixtures/tiny-sd-fp16'), {
      executionProviders: ['wasm'],
      loras: active(c),
    });
    try {
      const error = resultParity('lora fp16', await fp16.generate(request), ref(c.final_latents.file), ref(c.image.file));
      expect(error.image).toBeLessThanOrEqual(5e-3);
    } finally {
      await fp16.dispose();
    }
  });

  it('merges on onnxruntime-node (CPU EP), which opens model files: the merged view laid out in a temporary folder', async () => {
    const c = withLoras.find((x) => x.id === 'two_loras')!;
    const before = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('sd-web-model-')));
    const native = await StableDiffusionPipeline.load(nativeRuntime('cpu').ort, new DirectoryModelSource('fixtures/tiny-sd-fp32'), {
      executionProviders: ['cpu'],
      loras: active(c),
    });
    try {
      const error = resultParity('lora onnxruntime-node', await native.generate(request), ref(c.final_latents.file), ref(c.image.file));
      expect(error.latents).toBeLessThanOrEqual(1e-4);
      expect(error.image).toBeLessThanOrEqual(2e-3);
      expect(readdirSync(tmpdir()).filter((f) => f.startsWith('sd-web-model-') && !before.has(f))).toEqual([]); // removed once the sessions exist
    } finally {
      await native.dispose();
    }
  });

  it('loads with LoRAs given at load time, as setLoras merges them', async () => {
    const c = withLoras.find((x) => x.id === 'two_loras')!;
    const loaded = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource('fixtures/tiny-sd-fp32'), {
      executionProviders: ['wasm'],
      loras: active(c),
    });
    try {
      const error = resultParity('lora at load', await loaded.generate(request), ref(c.final_latents.file), ref(c.image.file));
      expect(error.image).toBeLessThanOrEqual(2e-3);
    } finally {
      await loaded.dispose();
    }
  });
});
