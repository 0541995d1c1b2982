/**
 * LoRA merge cost at SD v1.4's real size, without SD v1.4's weights: a synthetic model folder whose
 * text_encoder/ and unet/ graphs hold exactly the weights a LoRA targets in SD v1.4 (their real shapes,
 * bench/data/sd14-lora-shapes.json from tools/sd14_lora_shapes.py: diffusers' UNet2DConditionModel and
 * transformers' CLIPTextModel built with SD v1.4's configs), named as torch exports them, in external
 * data shards of at most 1 GiB (as tools/prepare_model.py writes the UNet), and a random rank-64 kohya
 * LoRA on every one of them. The merge then runs through the engine's own path (readLoraFile,
 * loraPartFiles: graph reading, matching, reading the stored weights, merging, relocation).
 *
 *   node --import tsx bench/lora-merge-bench.ts --make DIR [--set attention|lcm] [--dtype fp16|fp32]
 *   node --import tsx bench/lora-merge-bench.ts --merge DIR [--kernel ort|js]
 *
 * Run the two steps as two processes: the merge's peak RSS (Linux VmHWM) then counts only the merge.
 * Sets: attention (kohya's default SD 1.x LoRA: the UNet's Transformer2DModels + the text encoder, 37.7 M
 * LoRA parameters at rank 64) and lcm (LCM-LoRA's targets, UNet only, 67.3 M). Not measured here: the
 * session re-creation (the synthetic graphs do not run); the weights the merge leaves untouched (they are
 * not in the synthetic folder, and the merge does not read them).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bytesField, concatBytes, varintField } from '../src/core/onnx/protobuf-write.js';
import { float32ToFloat16 } from '../src/core/float16.js';
import { readLoraFile } from '../src/core/lora/lora-file.js';
import { loraPartFiles } from '../src/engine/lora/lora-parts.js';
import { DirectoryModelSource } from '../src/node/directory-source.js';
import { wasmRuntime } from '../src/node/ort-node.js';
import { safetensorsBytes } from '../src/testing/safetensors-write.js';
import { inMemoryBytes, peakRssMb, rssMb } from './lib/process-memory.js';

interface Layer {
  part: 'unet' | 'text_encoder';
  module: string;
  shape: number[];
}
const SHARD = 1 << 30;
const RANK = 64;
const ALPHA = 32;

/** A filler of n values (a short pattern repeated: the values do not change the merge's cost). */
function pattern(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  const block = Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.05);
  for (let at = 0; at < n; at += block.length) out.set(block.subarray(0, Math.min(block.length, n - at)), at);
  return out;
}

async function make(dir: string, set: string, dtype: string): Promise<void> {
  const shapes = JSON.parse(await readFile('bench/data/sd14-lora-shapes.json', 'utf8')) as Record<string, Layer[]>;
  const layers = shapes[set];
  if (!layers) throw new Error(`--set must be attention or lcm`);
  const lora: Parameters<typeof safetensorsBytes>[0] = {};
  for (const part of ['text_encoder', 'unet'] as const) {
    const mine = layers.filter((l) => l.part === part);
    if (!mine.length) continue;
    await mkdir(join(dir, part), { recursive: true });
    const nodes: Uint8Array[] = [];
    const inits: Uint8Array[] = [];
    let shard: Uint8Array[] = [];
    let shardBytes = 0;
    let shardIndex = 1;
    const shardName = () => (shardIndex === 1 ? 'weights.pb' : `weights-${shardIndex}.pb`);
    const flush = async () => {
      if (!shardBytes) return;
      await writeFile(join(dir, part, shardName()), concatBytes(shard));
      shard = [];
      shardBytes = 0;
      shardIndex++;
    };
    for (const [k, l] of mine.entries()) {
      const conv = l.shape.length === 4;
      const dims = conv ? l.shape : [l.shape[1]!, l.shape[0]!]; // Linear as MatMul: (in, out)
      const count = dims.reduce((a, b) => a * b, 1);
      const values = pattern(count, k);
      const bytes = dtype === 'fp16' ? new Uint8Array(float32ToFloat16(values).buffer) : new Uint8Array(values.buffer);
      if (shardBytes + bytes.length > SHARD) await flush();
      const name = `w${k}`;
      const entry = (key: string, value: string) => bytesField(13, concatBytes([bytesField(1, key), bytesField(2, value)]));
      inits.push(
        bytesField(
          5,
          concatBytes([
            ...dims.map((d) => varintField(1, d)),
            varintField(2, dtype === 'fp16' ? 10 : 1),
            bytesField(8, name),
            entry('location', shardName()),
            entry('offset', String(shardBytes)),
            entry('length', String(bytes.length)),
            varintField(14, 1),
          ]),
        ),
      );
      shard.push(bytes);
      shardBytes += bytes.length;
      const prefix = part === 'text_encoder' ? '/text_model' : '';
      const op = conv ? 'Conv' : 'MatMul';
      nodes.push(
        bytesField(
          1,
          concatBytes([
            bytesField(1, 'x'),
            bytesField(1, name),
            bytesField(2, `y${k}`),
            bytesField(3, `${prefix}/${l.module.replace(/^text_model\./, '')}/${op}`),
            bytesField(4, op),
          ]),
        ),
      );
      const inFeatures = l.shape.slice(1).reduce((a, b) => a * b, 1);
      const key = `lora_${part === 'unet' ? 'unet' : 'te'}_${l.module.replaceAll('.', '_')}`;
      lora[`${key}.lora_down.weight`] = {
        shape: conv ? [RANK, ...l.shape.slice(1)] : [RANK, inFeatures],
        values: pattern(RANK * inFeatures, k + 1),
        dtype: 'F16',
      };
      lora[`${key}.lora_up.weight`] = {
        shape: conv ? [l.shape[0]!, RANK, 1, 1] : [l.shape[0]!, RANK],
        values: pattern(l.shape[0]! * RANK, k + 2),
        dtype: 'F16',
      };
      lora[`${key}.alpha`] = { shape: [], values: [ALPHA], dtype: 'F16' };
    }
    await flush();
    const graph = concatBytes([...nodes, bytesField(2, 'synthetic'), ...inits]);
    await writeFile(
      join(dir, part, 'model.onnx'),
      concatBytes([varintField(1, 8), bytesField(7, graph), bytesField(8, concatBytes([bytesField(1, ''), varintField(2, 17)]))]),
    );
  }
  await writeFile(join(dir, 'lora.safetensors'), safetensorsBytes(lora));
  const params = layers.reduce((n, l) => n + l.shape.reduce((a, b) => a * b, 1), 0);
  console.log(`made ${dir}: ${set}, ${layers.length} layers, ${(params / 1e6).toFixed(1)} M weights (${dtype}), rank-${RANK} LoRA`);
}

async function merge(dir: string, kernel: string): Promise<void> {
  const rss0 = rssMb();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const bytes = new Uint8Array(await readFile(join(dir, 'lora.safetensors')));
  const file = readLoraFile('lora.safetensors', bytes);
  const t1 = performance.now();
  // ort: the engine's path (onnxruntime-web's wasm MatMul, as the pipeline passes its runtime); js: the JavaScript kernel
  const merged = await loraPartFiles(new DirectoryModelSource(dir), [{ file, weight: 1 }], kernel === 'js' ? {} : wasmRuntime());
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const mergedBytes = inMemoryBytes(merged.values());
  const result = {
    kernel,
    layers: file.layers.length,
    loraMb: +(bytes.length / 2 ** 20).toFixed(1),
    parseMs: Math.round(t1 - t0),
    mergeMs: Math.round(t2 - t1),
    /** parse + merge CPU time of this process (user + system): the wall time above includes waiting for a shared CPU. */
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    mergedMb: +(mergedBytes / 2 ** 20).toFixed(0),
    rssBeforeMb: Math.round(rss0),
    peakRssMb: Math.round(await peakRssMb()),
  };
  console.log(
    `${kernel} kernel, LoRA ${result.layers} layers (${result.loraMb} MB): parse ${result.parseMs} ms, merge ${result.mergeMs} ms (read + match + merge + relocate; CPU ${result.cpuMs} ms for parse + merge), merged tensors ${result.mergedMb} MB, RSS ${result.rssBeforeMb} MB before, peak ${result.peakRssMb} MB`,
  );
  console.log(`BENCH_JSON ${JSON.stringify(result)}`);
}

const { values } = parseArgs({
  options: {
    make: { type: 'string' },
    merge: { type: 'string' },
    set: { type: 'string', default: 'attention' },
    dtype: { type: 'string', default: 'fp16' },
    kernel: { type: 'string', default: 'ort' },
  },
});
if (values.make) await make(values.make, values.set, values.dtype);
else if (values.merge) await merge(values.merge, values.kernel);
else console.error('Usage: --make DIR [--set attention|lcm] [--dtype fp16|fp32] | --merge DIR [--kernel ort|js]');
