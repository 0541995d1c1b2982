import 'fake-indexeddb/auto';
import { createStore, set } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import type { ResolvedRequest } from '../engine/request/request.js';
import { GalleryStore } from './gallery-store.js';

const request = (seed: number): ResolvedRequest => ({
  prompt: 'a red circle on a blue background',
  negativePrompt: '',
  promptSyntax: 'a1111',
  scheduler: 'euler_a',
  numInferenceSteps: 6,
  guidanceScale: 7.5,
  seed,
  width: 128,
  height: 128,
});
const image = (png: Uint8Array, size: number, seed: number) => ({ png, width: size, height: size, request: request(seed), model: 'shapes-sd-fp32' });

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
    await a.add(image(Uint8Array.of(0x89, 0x50, 0x4e, 0x47), 128, 1));
    await a.add(image(Uint8Array.of(1, 2, 3), 128, 2));

    const listed = await gallery().list();
    expect(listed.map((e) => e.request.seed)).toEqual([2, 1]);
    expect(listed[1].png.type).toBe('image/png');
    expect(new Uint8Array(await listed[1].png.arrayBuffer())).toEqual(Uint8Array.of(0x89, 0x50, 0x4e, 0x47));
    expect(listed[0]).toMatchObject({ id: 'id1', width: 128, height: 128, request: request(2), model: 'shapes-sd-fp32' });
  });

  it('deletes one entry', async () => {
    const { gallery } = newStore();
    const g = gallery();
    const first = await g.add(image(new Uint8Array(1), 8, 1));
    await g.add({ png: new Uint8Array(1), width: 8, height: 8, request: request(2), model: 'shapes-sd-fp32' });
    await g.delete(first.id);
    expect((await g.list()).map((e) => e.request.seed)).toEqual([2]);
  });

  it('drops the oldest past maxEntries', async () => {
    const { gallery } = newStore(2);
    const g = gallery();
    for (const seed of [1, 2, 3]) await g.add(image(new Uint8Array(1), 8, seed));
    expect((await g.list()).map((e) => e.request.seed)).toEqual([3, 2]);
  });

  it('reads entries stored before the request model (A1111 parameters) as requests', async () => {
    const { store, gallery } = newStore();
    const parameters = {
      prompt: 'old',
      negativePrompt: 'n',
      steps: 6,
      sampler: 'DPM++ 2M Karras',
      guidanceScale: 5,
      seed: 9,
      width: 64,
      height: 96,
      model: 'shapes-sd-fp16',
    };
    await set('old', { id: 'old', createdAt: 1, width: 64, height: 96, parameters, png: new Blob([new Uint8Array(1)]) }, store);
    const [entry] = await gallery().list();
    expect(entry).toMatchObject({
      model: 'shapes-sd-fp16',
      request: { prompt: 'old', negativePrompt: 'n', scheduler: 'dpmpp_2m_karras', numInferenceSteps: 6, guidanceScale: 5, seed: 9, width: 64, height: 96 },
    });
  });
});
