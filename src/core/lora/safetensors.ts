/**
 * A `.safetensors` reader (huggingface/safetensors' format): an 8-byte little-endian header length N, N
 * bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`, then
 * the tensors' bytes, offsets relative to the end of the header. Only what LoRA files use is read: F32,
 * F16 and BF16, widened to float32 on request. Everything in the header is checked (offsets inside the
 * file, byte counts that match dtype x shape) before a tensor is read, so a corrupt or truncated file
 * fails with one line naming it and nothing else happens.
 */
import { InvalidRequestError } from '../errors.js';
import { float16ToFloat32 } from '../float16.js';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** [begin, end) in the file (header already added). */
  begin: number;
  end: number;
}

export interface SafetensorsFile {
  name: string;
  bytes: Uint8Array;
  /** Byte length of the 8-byte prefix plus the JSON header: where the tensor data starts. */
  dataStart: number;
  metadata: Record<string, string>;
  tensors: Map<string, SafetensorsEntry>;
}

/** Bad input (the CLI's exit status 2). */
export class SafetensorsError extends InvalidRequestError {
  override name = 'SafetensorsError';
}

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
/** A header larger than this is not a LoRA's (safetensors itself caps it at 100 MB). */
const MAX_HEADER = 100_000_000;

export function readSafetensors(name: string, bytes: Uint8Array): SafetensorsFile {
  const bad = (why: string) => new SafetensorsError(`${name} is not a readable .safetensors file (${why}): download it again.`);
  if (bytes.length < 8) throw bad(`${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER || 8 + headerLength > bytes.length)
    throw bad(`its header claims ${headerLength} bytes, the file has ${bytes.length - 8} after the length: it is truncated or not safetensors`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw bad('its header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('its header is not a JSON object');
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (typeof value === 'object' && value !== null)
        metadata = Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
      continue;
    }
    const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const { dtype, shape, data_offsets: offsets } = entry ?? {};
    if (typeof dtype !== 'string' || !Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2)
      throw bad(`tensor "${key}" has no dtype, shape or data_offsets`);
    if (!(dtype in DTYPE_BYTES)) throw new SafetensorsError(`${name}: tensor "${key}" is ${dtype}; LoRA files are read in F32, F16 or BF16.`);
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0))
      throw bad(`tensor "${key}" has a malformed shape or offsets`);
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * DTYPE_BYTES[dtype as SafetensorsDtype])
      throw bad(`tensor "${key}" holds ${end - begin} bytes for ${dtype} [${shape.join(', ')}]`);
    if (dataStart + end > bytes.length)
      throw bad(`tensor "${key}" ends at byte ${dataStart + end}, past the end of the file (${bytes.length}): the file is truncated`);
    tensors.set(key, { dtype: dtype as SafetensorsDtype, shape: shape as number[], begin: dataStart + begin, end: dataStart + end });
  }
  return { name, bytes, dataStart, metadata, tensors };
}

/** The tensor's values as float32 (F16 and BF16 widened exactly). */
export function tensorToFloat32(file: SafetensorsFile, key: string): Float32Array {
  const entry = file.tensors.get(key);
  if (!entry) throw new SafetensorsError(`${file.name} has no tensor "${key}".`);
  const raw = file.bytes.slice(entry.begin, entry.end); // aligned copy
  switch (entry.dtype) {
    case 'F32':
      return new Float32Array(raw.buffer);
    case 'F16':
      return float16ToFloat32(new Uint16Array(raw.buffer));
    case 'BF16': {
      const bits = new Uint16Array(raw.buffer);
      const out = new Uint32Array(bits.length);
      for (let i = 0; i < bits.length; i++) out[i] = bits[i]! << 16;
      return new Float32Array(out.buffer);
    }
  }
}
