/**
 * The app's LoRA library (lora-library.ts, fake-indexeddb) and the choice of a generation's LoRAs
 * (lora-choice.ts) with the fixture LoRA files (fixtures/lora); the hash is checked against the CLI's
 * value for the same file (core/lora/lora-hash.ts) and against SHA-256 of the tensor bytes computed here.
 */
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createStore } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../core/errors.js';
import { chooseLoras, loraRestoreNotes, promptWithoutLoraTags } from './lora-choice.js';
import { LoraLibrary, type LoraEntry } from './lora-library.js';

let dbCount = 0;
const library = () => new LoraLibrary(createStore(`lora-test-${dbCount++}`, 'loras'));
const fixture = (name: string) => new Blob([readFileSync(`fixtures/lora/${name}.safetensors`)]);
/** kohya's addnet hash: SHA-256 of what follows the 8-byte length and the JSON header. */
const addnetHash = (name: string) => {
  const bytes = readFileSync(`fixtures/lora/${name}.safetensors`);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  return createHash('sha256')
    .update(bytes.subarray(8 + headerLength))
    .digest('hex')
    .slice(0, 12);
};

describe('LoraLibrary', () => {
  it('stores added files with name, size and hash, in the order added; updates and removes them', async () => {
    const lib = library();
    const a = await lib.add('kohya_attn_te.safetensors', fixture('kohya_attn_te'), 1);
    await lib.add('peft_te.safetensors', fixture('peft_te'), 2);
    expect(a).toMatchObject({ name: 'kohya_attn_te', size: fixture('kohya_attn_te').size, enabled: true, weight: 1 });
    expect(a.hash).toBe(addnetHash('kohya_attn_te'));
    await lib.update('kohya_attn_te', { weight: 0.8, enabled: false });
    const listed = await lib.list();
    expect(listed.map((e) => [e.name, e.enabled, e.weight])).toEqual([
      ['kohya_attn_te', false, 0.8],
      ['peft_te', true, 1],
    ]);
    expect(new Uint8Array(await listed[0]!.data.arrayBuffer())).toEqual(new Uint8Array(readFileSync('fixtures/lora/kohya_attn_te.safetensors')));
    await lib.remove('kohya_attn_te');
    expect((await lib.list()).map((e) => e.name)).toEqual(['peft_te']);
  });

  it('refuses a file that is not a LoRA it can merge, naming it, and stores nothing', async () => {
    const lib = library();
    await expect(lib.add('broken.safetensors', new Blob([new Uint8Array([255, 255, 255, 255, 0, 0, 0, 0, 1])]))).rejects.toThrow('broken.safetensors');
    expect(await lib.list()).toEqual([]);
  });
});

describe('chooseLoras', () => {
  const entry = (name: string, enabled: boolean, weight: number): LoraEntry => ({
    name,
    size: 1,
    hash: `${name}-hash`,
    enabled,
    weight,
    data: new Blob([name]),
    addedAt: 0,
  });
  const lib = [entry('style', true, 0.8), entry('detail', false, 1), entry('off', false, 1)];

  it("takes the enabled ones at their weights and the prompt's tags by name, a tag overriding an enabled entry", () => {
    const c = chooseLoras('a cat <lora:detail:0.5> on a mat <lora:style:0.3:1.2>', lib);
    expect(c.prompt).toBe('a cat  on a mat ');
    expect(c.loraFiles.map((l) => [l.name, l.weight, l.unetWeight])).toEqual([
      ['detail.safetensors', 0.5, undefined],
      ['style.safetensors', 0.3, 1.2],
    ]);
    expect(c.loraFiles[0]!.data).toBe(lib[1]!.data);
    expect(c.extra).toEqual({ 'Lora hashes': 'detail: detail-hash, style: style-hash' });
    expect(c.infotextPrompt).toBe('a cat <lora:detail:0.5> on a mat <lora:style:0.3:1.2>');
  });

  it("adds a tag per enabled LoRA to the PNG's prompt, as the CLI does for --lora", () => {
    const c = chooseLoras('a cat', lib);
    expect(c.prompt).toBe('a cat');
    expect(c.infotextPrompt).toBe('a cat <lora:style:0.8>');
    expect(c.summary).toBe('style 0.8');
    expect(c.extra).toEqual({ 'Lora hashes': 'style: style-hash' });
  });

  it('uses none without enabled entries or tags, and refuses a tag that names no LoRA of the library', () => {
    expect(chooseLoras('a cat', [entry('x', false, 1)])).toEqual({ prompt: 'a cat', loraFiles: [], summary: '', infotextPrompt: 'a cat', extra: {} });
    expect(() => chooseLoras('a <lora:missing:1>', lib)).toThrow(InvalidRequestError);
    expect(() => chooseLoras('a <lora:missing:1>', lib)).toThrow('no missing');
  });
});

describe('promptWithoutLoraTags', () => {
  it('gives the text the text encoder reads, and the prompt as written while a tag is malformed', () => {
    expect(promptWithoutLoraTags('a cat <lora:style:0.8>')).toBe('a cat ');
    expect(promptWithoutLoraTags('a cat <lora:style:x>')).toBe('a cat <lora:style:x>');
  });
});

describe('loraRestoreNotes', () => {
  const entry = (name: string, hash: string): LoraEntry => ({ name, size: 1, hash, enabled: false, weight: 1, data: new Blob([name]), addedAt: 0 });

  it("notes a pasted PNG's LoRA the library lacks or holds with another hash, and nothing for a match", () => {
    const lib = [entry('style', '9e516c6c5c8a'), entry('detail', 'aaaaaaaaaaaa')];
    expect(loraRestoreNotes(undefined, lib)).toEqual([]);
    expect(loraRestoreNotes('style: 9e516c6c5c8a', lib)).toEqual([]);
    expect(loraRestoreNotes('style: 9e516c6c5c8a, detail: bbbbbbbbbbbb, gone: cccccccccccc', lib)).toEqual([
      'It was made with a LoRA detail of hash bbbbbbbbbbbb; yours has hash aaaaaaaaaaaa, so the picture may differ.',
      'It was made with the LoRA gone (hash cccccccccccc): add gone.safetensors under LoRAs to make it again.',
    ]);
  });
});
