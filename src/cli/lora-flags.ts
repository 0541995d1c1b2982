/**
 * The CLI's LoRAs: `--lora FILE[:WEIGHT]` (repeatable, weight 1 by default) and `<lora:name:weight>` in the
 * prompt (AUTOMATIC1111's syntax, core/lora/lora-prompt.ts), whose names are files of `--lora-dir DIR`
 * (`name.safetensors`, in DIR or a folder below it, as A1111's Lora folder). Every file is read and its
 * layers checked here, before the model loads; the PNG's infotext gets the prompt with its tags, the
 * `--lora` files as tags after it (so that A1111 and this CLI reproduce the set from a pasted PNG), and
 * `Lora hashes` as A1111 writes it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InvalidRequestError } from '../core/errors.js';
import { loraHashesValue, loraNameOf, loraShortHash } from '../core/lora/lora-hash.js';
import { readLoraFile } from '../core/lora/lora-file.js';
import { extractLoraTags } from '../core/lora/lora-prompt.js';
import type { ActiveLora } from '../engine/lora/lora-parts.js';

export interface CliLoras {
  /** The prompt for the text encoder: without its LoRA tags. */
  prompt: string;
  loras: ActiveLora[];
  /** The prompt as the PNG records it: with its tags, and a tag per --lora file. */
  infotextPrompt: string;
  /** `{ 'Lora hashes': ... }` when there are LoRAs. */
  extra: Record<string, string>;
}

/** `FILE[:WEIGHT]`: the weight is what follows the last ':' when it is a number. */
export function parseLoraFlag(value: string): { path: string; weight: number } {
  const at = value.lastIndexOf(':');
  const tail = at > 0 ? value.slice(at + 1) : '';
  if (at > 0 && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(tail)) return { path: value.slice(0, at), weight: Number(tail) };
  if (value === '') throw new InvalidRequestError('--lora needs a file: --lora FILE.safetensors[:WEIGHT].');
  return { path: value, weight: 1 };
}

async function readLora(path: string, flag: string) {
  const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new InvalidRequestError(`${flag} ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}.`);
  });
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { file: readLoraFile(basename(path), data), hash: await loraShortHash(basename(path), data) };
}

/** `name.safetensors` in dir or below it (first match in sorted order), or null. */
async function findInLibrary(dir: string, name: string): Promise<string | null> {
  const entries = await readdir(dir, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw new InvalidRequestError(`--lora-dir ${dir}: ${error.code === 'ENOENT' ? 'no such folder' : error.message}.`);
  });
  const found = entries
    .map(String)
    .sort()
    .find((e) => basename(e) === `${name}.safetensors` || e === `${name}.safetensors`);
  return found === undefined ? null : join(dir, found);
}

export async function cliLoras(prompt: string, flags: readonly string[], loraDir: string | undefined): Promise<CliLoras> {
  const tags = extractLoraTags(prompt);
  const loras: ActiveLora[] = [];
  const hashes: { name: string; hash: string }[] = [];
  const fileTags: string[] = [];
  for (const flag of flags) {
    const { path, weight } = parseLoraFlag(flag);
    const { file, hash } = await readLora(path, '--lora');
    const name = loraNameOf(basename(path));
    loras.push({ file, weight });
    hashes.push({ name, hash });
    fileTags.push(`<lora:${name}:${weight}>`);
  }
  for (const tag of tags.loras) {
    if (loraDir === undefined)
      throw new InvalidRequestError(
        `The prompt names <lora:${tag.name}>: give the folder of your LoRAs with --lora-dir DIR (or the file with --lora FILE).`,
        'prompt',
      );
    const path = await findInLibrary(loraDir, tag.name);
    if (!path) throw new InvalidRequestError(`The prompt names <lora:${tag.name}>, but --lora-dir ${loraDir} has no ${tag.name}.safetensors.`, 'prompt');
    const { file, hash } = await readLora(path, '--lora-dir');
    loras.push({ file, weight: tag.weight, ...(tag.unetWeight === undefined ? {} : { unetWeight: tag.unetWeight }) });
    hashes.push({ name: tag.name, hash });
  }
  return {
    prompt: tags.prompt,
    loras,
    infotextPrompt: fileTags.length ? `${prompt} ${fileTags.join(' ')}` : prompt,
    extra: hashes.length ? { 'Lora hashes': loraHashesValue(hashes) } : {},
  };
}
