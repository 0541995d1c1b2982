/**
 * One part's LoRA-merged view (lora-parts.ts plans it): each targeted weight copied out of the stored bytes
 * (never written), W' = W + Σ weight · scale · up @ down added (core/lora/lora-merge.ts) in float32, whole or
 * in its block of a packed weight (a fused Attention's q, k, v: rows in place, columns copied out and back),
 * checked (NaN, Inf, past float16's 65504: refused), rounded to float16 once where stored so, and laid in one
 * new external-data buffer that the relocated graph's initializers point at (core/onnx/relocate-initializers.ts).
 */
import { float16ToFloat32, float32ToFloat16 } from '../../core/float16.js';
import { LoraError, type LoraPart } from '../../core/lora/lora-file.js';
import { addLoraDeltas, type AddProducts, type LoraContribution } from '../../core/lora/lora-merge.js';
import type { InitializerInfo, ModuleWeight } from '../../core/onnx/module-weights.js';
import { relocateInitializers, type Relocation } from '../../core/onnx/relocate-initializers.js';
import type { ModelPartFiles } from '../model/model-folder.js';
import type { ModelSource } from '../model/model-source.js';

const FLOAT = 1;
const FLOAT16 = 10;
const FLOAT16_MAX = 65504;
const ALIGN = 64;

/** One layer's weight to merge into: a whole initializer, or a block of one (module.slice). */
export interface Target {
  module: ModuleWeight;
  info: InitializerInfo;
  outFeatures: number;
  inFeatures: number;
  contributions: LoraContribution[];
}

/** The part's files with the targets merged; `addProducts`: the merge's matrix product (onnxruntime's MatMul, else JavaScript). */
export async function mergePart(
  source: ModelSource,
  part: LoraPart,
  files: ModelPartFiles,
  targets: Map<string, Target>,
  addProducts: AddProducts | undefined,
): Promise<ModelPartFiles> {
  const modelName = `${source.name}/${part}`;
  // one external file in memory at a time (targets in file order): a 1 GiB shard, not the whole UNet
  let current: { location: string; bytes: Uint8Array } | null = null;
  const external = async (location: string): Promise<Uint8Array> => {
    if (current?.location !== location) {
      current = null;
      const entry = files.externalData.find((e) => e.path === location);
      current = { location, bytes: entry && typeof entry.data !== 'string' ? entry.data : await source.readBytes(`${part}/${location}`) };
    }
    return current.bytes;
  };
  // one entry per initializer: the layers packed in one (a fused Attention's q, k, v) merge into the same copy
  const byInitializer = new Map<InitializerInfo, Target[]>();
  for (const target of targets.values()) {
    const group = byInitializer.get(target.info);
    if (group) group.push(target);
    else byInitializer.set(target.info, [target]);
  }
  const order = (info: InitializerInfo) => [info.external?.location ?? '', info.external?.offset ?? 0] as const;
  const sorted = [...byInitializer].sort(([a], [b]) => order(a)[0].localeCompare(order(b)[0]) || order(a)[1] - order(b)[1]);
  const taken = new Set(files.externalData.map((e) => e.path));
  let location = 'lora-merged.bin';
  for (let n = 2; taken.has(location); n++) location = `lora-merged-${n}.bin`;

  // the merged tensors' places in one buffer, known from the dims before any is computed (no second copy)
  const relocations: Relocation[] = [];
  let offset = 0;
  for (const [info] of sorted) {
    const length = info.dims.reduce((a, b) => a * b, 1) * (info.dataType === FLOAT16 ? 2 : 4);
    relocations.push({ info, location, offset, length });
    offset += length + ((ALIGN - (length % ALIGN)) % ALIGN);
  }
  const data = new Uint8Array(offset);
  for (const [k, [info, group]] of sorted.entries()) {
    const { module } = group[0]!;
    const where = group.map((t) => t.module.module).join(', ');
    if (info.dataType !== FLOAT && info.dataType !== FLOAT16)
      throw new LoraError(`${modelName}: ${module.module}'s weight is stored as ONNX type ${info.dataType}; LoRAs merge into float32 or float16 weights.`);
    const width = info.dataType === FLOAT ? 4 : 2;
    const count = info.dims.reduce((a, b) => a * b, 1);
    let stored: Uint8Array;
    if (info.raw) stored = files.model.subarray(info.raw.start, info.raw.end);
    else if (info.external) {
      const bytes = await external(info.external.location);
      stored = bytes.subarray(info.external.offset, info.external.offset + (info.external.length ?? count * width));
    } else throw new LoraError(`${modelName}: ${module.module}'s weight has no raw data to merge into (re-export the model with raw_data initializers).`);
    if (stored.length !== count * width)
      throw new LoraError(`${modelName}: ${module.module}'s weight holds ${stored.length} bytes for [${info.dims.join(', ')}]; the model file is damaged.`);
    const { offset: at, length } = relocations[k]!;
    const out = data.subarray(at, at + length);
    out.set(stored); // the stored bytes stay untouched
    const w = info.dataType === FLOAT ? new Float32Array(data.buffer, at, count) : float16ToFloat32(new Uint16Array(out.slice().buffer));
    for (const target of group) {
      const { slice } = target.module;
      if (!slice) {
        await addLoraDeltas(w, target.module.layout, target.outFeatures, target.inFeatures, target.contributions, addProducts);
        continue;
      }
      // the layer's block of the packed weight: rows are contiguous; columns are copied out and back
      const [rows, cols] = info.dims as [number, number];
      if (slice.axis === 0) {
        const block = w.subarray(slice.start * cols, (slice.start + slice.size) * cols);
        await addLoraDeltas(block, target.module.layout, target.outFeatures, target.inFeatures, target.contributions, addProducts);
      } else {
        const block = new Float32Array(rows * slice.size);
        for (let r = 0; r < rows; r++) block.set(w.subarray(r * cols + slice.start, r * cols + slice.start + slice.size), r * slice.size);
        await addLoraDeltas(block, target.module.layout, target.outFeatures, target.inFeatures, target.contributions, addProducts);
        for (let r = 0; r < rows; r++) w.set(block.subarray(r * slice.size, (r + 1) * slice.size), r * cols + slice.start);
      }
    }
    let peak = 0;
    for (let i = 0; i < w.length; i++) {
      const a = Math.abs(w[i]!);
      if (a > peak) peak = a;
      else if (Number.isNaN(a)) {
        peak = NaN;
        break;
      }
    }
    const names = group.flatMap((t) => t.contributions.map((c) => c.layer.key)).join(', ');
    if (!Number.isFinite(peak)) throw new LoraError(`Merging ${names} into ${modelName}'s ${where} gives NaN or infinite weights: lower the LoRA's weight.`);
    if (info.dataType === FLOAT16 && peak > FLOAT16_MAX)
      throw new LoraError(
        `Merging ${names} into ${modelName}'s ${where} gives weights up to ${peak.toPrecision(6)}, past float16's 65504: lower the LoRA's weight or use the fp32 model.`,
      );
    if (info.dataType === FLOAT16) out.set(new Uint8Array(float32ToFloat16(w).buffer));
  }
  return { model: relocateInitializers(files.model, relocations), externalData: [...files.externalData, { path: location, data }] };
}
