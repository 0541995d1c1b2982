/**
 * A LoRA's hash as AUTOMATIC1111 writes it in `Lora hashes: "name: hash"`: the file's `sshs_model_hash`
 * metadata when it has one, else sd-webui-additional-networks' / kohya's safetensors hash (modules/hashes.py
 * addnet_hash_safetensors: SHA-256 of everything after the 8-byte length and the JSON header, so editing
 * the metadata keeps it), cut to A1111's shorthash, the first 12 hex digits (networks.py set_hash).
 */
import { readSafetensors } from './safetensors.js';

export async function loraShortHash(name: string, bytes: Uint8Array): Promise<string> {
  const file = readSafetensors(name, bytes);
  const known = file.metadata.sshs_model_hash;
  if (known) return known.slice(0, 12);
  const digest = await crypto.subtle.digest('SHA-256', file.bytes.slice(file.dataStart));
  return [...new Uint8Array(digest)]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .slice(0, 12);
}

/** The name a LoRA goes by in `<lora:name:weight>` and `Lora hashes`, as A1111 names it from its file: `style.safetensors` -> `style`. */
export function loraNameOf(fileName: string): string {
  return fileName.replace(/\.safetensors$/i, '');
}

/** The infotext value: `name: hash, name: hash` (A1111 drops ':' and ',' from the names). */
export function loraHashesValue(entries: readonly { name: string; hash: string }[]): string {
  return entries.map((e) => `${e.name.replaceAll(':', '').replaceAll(',', '')}: ${e.hash}`).join(', ');
}
