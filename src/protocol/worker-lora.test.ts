/**
 * LoRAs through the page <-> worker protocol in Node: a LocalEngine (wasm backend, the tiny-sd-fp32
 * fixture from disk) served on one end of a MessageChannel, a WorkerEngine on the other, the LoRA file
 * posted as a Blob with the load. The pictures are held against diffusers' (fixtures/lora/manifest.json,
 * tools/make_lora_refs.py: load_lora_weights + set_adapters, torch fp32 CPU) within the engine's LoRA
 * parity bound (2e-3, lora-diffusers.parity.test.ts) plus the 8-bit rounding of the RGBA result (0.5/255);
 * the LoRA moves the picture by more than 0.1 from the base, so a LoRA that did not reach the worker fails.
 * Removing it (a load without LoRA files) gives the base picture back byte for byte.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoraInputReader } from '../engine/lora/lora-inputs.js';
import type { ModelSpec } from '../engine/model/model-spec.js';
import { caseRequest, type DiffusersCase } from '../testing/diffusers-case.js';
import { readF32, readJson } from '../testing/reference-data.js';
import { wasmEngineOverChannel } from '../testing/worker-channel.js';
import type { WorkerEngine } from './worker-engine.js';

interface Case {
  id: string;
  loras: [string, number][];
  image: { file: string };
}
const manifest = readJson<{ request: DiffusersCase & { seed: number }; cases: Case[] }>('fixtures/lora/manifest.json');
const request = { ...caseRequest(manifest.request), seed: manifest.request.seed, width: 128, height: 128 };
const kohya = manifest.cases.find((c) => c.id === 'kohya_attn_te')!;
const base = manifest.cases.find((c) => c.id === 'base')!;
const spec: ModelSpec = { id: 'tiny-sd', urls: { fp32: 'fixtures/tiny-sd-fp32' } };
const loraBlob = (name: string) => new Blob([readFileSync(`fixtures/lora/${name}.safetensors`)]);

/** Max |rgba / 255 - reference| over RGB, the reference being diffusers' NCHW float image. */
function maxDiffToReference(rgba: Uint8ClampedArray, ref: Float32Array, width: number, height: number): number {
  let max = 0;
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) max = Math.max(max, Math.abs(rgba[p * 4 + c]! / 255 - ref[c * width * height + p]!));
  }
  return max;
}

describe('LoRA files through WorkerEngine <-> serveEngine(LocalEngine)', () => {
  let engine: WorkerEngine;
  let close: () => void;

  beforeAll(() => {
    ({ engine, close } = wasmEngineOverChannel());
  });
  afterAll(() => close());

  it('merges a LoRA posted with the load (diffusers within 2e-3 + 0.5/255), then gives back the base picture byte for byte', async () => {
    const baseRef = readF32(`fixtures/lora/${base.image.file}`);
    const loraRef = readF32(`fixtures/lora/${kohya.image.file}`);
    await engine.load(spec);
    const before = await engine.generate(request);
    expect(maxDiffToReference(before.rgba, baseRef, 128, 128)).toBeLessThanOrEqual(2e-3 + 0.5 / 255);

    const blob = loraBlob('kohya_attn_te');
    await engine.load(spec, { loraFiles: [{ name: 'kohya_attn_te.safetensors', data: blob, weight: kohya.loras[0]![1] }] });
    const withLora = await engine.generate(request);
    expect(maxDiffToReference(withLora.rgba, loraRef, 128, 128)).toBeLessThanOrEqual(2e-3 + 0.5 / 255);
    expect(maxDiffToReference(withLora.rgba, baseRef, 128, 128)).toBeGreaterThan(0.1);

    await engine.load(spec);
    const after = await engine.generate(request);
    expect(Buffer.from(after.rgba).equals(Buffer.from(before.rgba))).toBe(true);
    expect(Buffer.from(after.png).equals(Buffer.from(before.png))).toBe(true);
  });

  it('refuses a corrupt LoRA file at load, as a SafetensorsError naming the file, and the loaded model stays', async () => {
    const bad = new Blob([new Uint8Array([255, 255, 255, 255, 0, 0, 0, 0, 1, 2, 3])]);
    const refused = engine.load(spec, { loraFiles: [{ name: 'broken.safetensors', data: bad, weight: 1 }] });
    await expect(refused).rejects.toMatchObject({ name: 'SafetensorsError' });
    await expect(refused).rejects.toThrow('broken.safetensors');
    await expect(engine.load(spec)).resolves.toMatchObject({ id: 'tiny-sd', backend: 'wasm' });
  });
});

describe('LoraInputReader', () => {
  it('reads a key once and hands back the same LoraFile while it stays in the set; drops files the last set left out', async () => {
    const reader = new LoraInputReader();
    const input = { name: 'peft_te.safetensors', data: loraBlob('peft_te'), weight: 1, key: 'a' };
    const [first] = await reader.read([input]);
    const [again] = await reader.read([{ ...input, weight: 0.5 }]);
    expect(again!.file).toBe(first!.file);
    expect(again!.weight).toBe(0.5);
    await reader.read([]);
    const [fresh] = await reader.read([input]);
    expect(fresh!.file).not.toBe(first!.file);
    expect(fresh!.file.layers.length).toBe(first!.file.layers.length);
  });
});
