/**
 * A LoRA's cost on a real model folder, as StableDiffusionPipeline.setLoras pays it: the text encoder's and
 * the UNet's sessions made from the stored files (the base), the LoRA merged (engine/lora/lora-parts.ts:
 * match, read, merge, relocate), the two sessions made again from the merged view while the base ones still
 * exist (setLoras keeps them until the new ones are made, so a failure leaves the pipeline as it was), then
 * the base ones released. Each stage prints its wall time, this process's CPU time and the peak RSS so far
 * (Linux VmHWM).
 *
 *   node --import tsx bench/lora-session-bench.ts --model DIR --lora FILE [--runtime node-cpu|wasm] [--weight 1] [--merge-only]
 *
 * DIR: a prepare_model.py folder (the random SD v1.4 of bench/README.md, "LoRA at SD v1.4's size"); FILE: a
 * LoRA for it, such as the rank-64 kohya file that lora-merge-bench.ts --make writes (SD v1.4's module names).
 * Only the text encoder and the UNet are loaded (the parts a LoRA changes). --merge-only: no sessions (a folder
 * this CPU cannot run, such as the fp16 webgpu target, whose fused fp16 operators have WebGPU kernels only).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readLoraFile } from '../src/core/lora/lora-file.js';
import { loraPartFiles } from '../src/engine/lora/lora-parts.js';
import { type ModelPartFiles, readModelPart } from '../src/engine/model/model-folder.js';
import { createSession, type OrtModule, type OrtSession } from '../src/engine/runtime/ort.js';
import { DirectoryModelSource } from '../src/node/directory-source.js';
import { nativeRuntime } from '../src/node/ort-native.js';
import { wasmRuntime } from '../src/node/ort-node.js';
import { inMemoryBytes, peakRssMb, rssMb } from './lib/process-memory.js';

const PARTS = ['text_encoder', 'unet'] as const;

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    lora: { type: 'string' },
    runtime: { type: 'string', default: 'node-cpu' },
    weight: { type: 'string', default: '1' },
    'merge-only': { type: 'boolean', default: false },
  },
});
if (!values.model || !values.lora) {
  console.error('Usage: --model DIR --lora FILE [--runtime node-cpu|wasm] [--weight 1]');
  process.exit(2);
}
const [ort, provider]: [OrtModule, 'cpu' | 'wasm'] = values.runtime === 'wasm' ? [wasmRuntime(), 'wasm'] : [nativeRuntime('cpu').ort, 'cpu'];
const source = new DirectoryModelSource(values.model);
const results: Record<string, unknown> = { model: values.model, lora: values.lora, runtime: values.runtime };

async function stage<T>(name: string, run: () => Promise<T>): Promise<T> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await run();
  const cpu = process.cpuUsage(cpu0);
  const row = {
    wallS: +((performance.now() - t0) / 1000).toFixed(1),
    cpuS: +((cpu.user + cpu.system) / 1e6).toFixed(1),
    rssMb: Math.round(rssMb()),
    peakRssMb: Math.round(await peakRssMb()),
  };
  results[name] = row;
  console.log(`${name}: ${row.wallS} s wall, ${row.cpuS} s CPU, RSS ${row.rssMb} MB, peak RSS so far ${row.peakRssMb} MB`);
  return value;
}

const sessions = async (files: Map<string, ModelPartFiles>): Promise<OrtSession[]> => {
  const made: OrtSession[] = [];
  for (const part of PARTS) {
    const { model, externalData, modelFile } = files.get(part)!;
    made.push(await createSession(ort, model, { executionProviders: [provider], externalData, ...(modelFile ? { modelFile } : {}) }));
  }
  return made;
};

const stored = new Map<string, ModelPartFiles>();
for (const part of PARTS) stored.set(part, await readModelPart(source, part));
const mergeOnly = values['merge-only'];
const base = mergeOnly ? [] : await stage('sessions from the stored files (text encoder + UNet)', () => sessions(stored));
const file = await stage('LoRA file read and parsed', async () => readLoraFile(values.lora!, new Uint8Array(await readFile(values.lora!))));
results.layers = file.layers.length;
const merged = await stage('merge (match, read, merge, relocate)', () => loraPartFiles(source, [{ file, weight: Number(values.weight) }], ort));
const mergedBytes = inMemoryBytes(merged.values());
results.mergedMb = Math.round(mergedBytes / 2 ** 20);
console.log(`merged: ${file.layers.length} LoRA layers into ${[...merged.keys()].join(' + ')}, ${results.mergedMb} MB of merged tensors`);
if (!mergeOnly) {
  const all = new Map(PARTS.map((part) => [part, merged.get(part) ?? stored.get(part)!] as const));
  const again = await stage('sessions re-made from the merged view (base sessions still held)', () => sessions(all));
  await stage('base sessions released', async () => Promise.all(base.map((s) => s.release())));
  await Promise.all(again.map((s) => s.release()));
}
console.log(`BENCH_JSON ${JSON.stringify(results)}`);
