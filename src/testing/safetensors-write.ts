/**
 * Test helper: writes `.safetensors` bytes (8-byte little-endian header length, JSON header, tensor data)
 * from float values, as huggingface/safetensors' save_file lays them out, in F32, F16 or BF16 (BF16: the
 * float32's top 16 bits, exact for the values the tests use).
 */
import { float32ToFloat16 } from '../core/float16.js';

export interface TensorSpec {
  shape: number[];
  values: ArrayLike<number>;
  dtype?: 'F32' | 'F16' | 'BF16';
}

export function safetensorsBytes(tensors: Record<string, TensorSpec>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const dtype = t.dtype ?? 'F32';
    const f32 = Float32Array.from(t.values);
    const data =
      dtype === 'F32'
        ? new Uint8Array(f32.buffer)
        : dtype === 'F16'
          ? new Uint8Array(float32ToFloat16(f32).buffer)
          : new Uint8Array(Uint16Array.from(new Uint32Array(f32.buffer), (x) => x >>> 16).buffer);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + data.length] };
    chunks.push(data);
    offset += data.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
