import 'fake-indexeddb/auto';
import { createStore } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import type { GenerationParameters } from '../core/parameters.js';
import { GalleryStore } from './gallery-store.js';

const parameters = (seed: number): GenerationParameters => ({
  prompt: 'a red circle on a blue background',
  negativePrompt: '',
  steps: 6,
  sampler: 'PNDM',
  guidanceScale: 7.5,
  seed,
  width: 128,
  height: 128,
  model: 'shapes-sd-fp32',
});

let dbCount = 0;
function newStore(maxEntries?: number) {
  let id = 0;
  let time = 1000;
  const store = createStore(`gallery-test-${dbCount++}`, 'images');
  return { store, gallery: () => new GalleryStore({ store, maxEntries, newId: () => `id${id++}`, now: () => time++ }) };
}

describe('GalleryStore', () => {
  it('keeps PNGs and parameters, newest first, across store instances (a reload)', async () => {
    const { gallery } = newStore();
    const a = gallery();
    await a.add({ png: Uint8Array.of(0x89, 0x50, 0x4e, 0x47), width: 128, height: 128, parameters: parameters(1) });
    await a.add({ png: Uint8Array.of(1, 2, 3), width: 128, height: 128, parameters: parameters(2) });

    const listed = await gallery().list();
    expect(listed.map((e) => e.parameters.seed)).toEqual([2, 1]);
    expect(listed[1].png.type).toBe('image/png');
    expect(new Uint8Array(await listed[1].png.arrayBuffer())).toEqual(Uint8Array.of(0x89, 0x50, 0x4e, 0x47));
    expect(listed[0]).toMatchObject({ id: 'id1', width: 128, height: 128, parameters: parameters(2) });
  });

  it('deletes one entry', async () => {
    const { gallery } = newStore();
    const g = gallery();
    const first = await g.add({ png: new Uint8Array(1), width: 8, height: 8, parameters: parameters(1) });
    await g.add({ png: new Uint8Array(1), width: 8, height: 8, parameters: parameters(2) });
    await g.delete(first.id);
    expect((await g.list()).map((e) => e.parameters.seed)).toEqual([2]);
  });

  it('drops the oldest past maxEntries', async () => {
    const { gallery } = newStore(2);
    const g = gallery();
    for (const seed of [1, 2, 3]) await g.add({ png: new Uint8Array(1), width: 8, height: 8, parameters: parameters(seed) });
    expect((await g.list()).map((e) => e.parameters.seed)).toEqual([3, 2]);
  });
});
