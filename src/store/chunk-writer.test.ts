/**
 * ChunkWriter in Node (fake-indexeddb): chunks committed with the running SHA-256, and `tail`, the
 * bytes before the resume point that a resume compares with the server's (issue 25, item 2), read
 * across the filling buffer and several stored chunks.
 */
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChunkStore } from './chunk-store.js';
import { ChunkWriter } from './chunk-writer.js';
import { emptyFileRecord } from './records.js';

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 9)) & 0xff);

describe('ChunkWriter', () => {
  it('stores fixed-size chunks with their digests, and tail() returns the last bytes held across buffer and chunks', async () => {
    const store = new ChunkStore('chunk-writer-1');
    const chunkSize = 30_000;
    const data = bytes(250_123);
    const record = emptyFileRecord('unet/weights.pb', chunkSize, null);
    await store.resetFile('m', record);
    const writer = new ChunkWriter(store, 'm', chunkSize, record, () => {});
    for (let pos = 0; pos < data.length; pos += 7_777) await writer.accept(data.subarray(pos, Math.min(pos + 7_777, data.length)));
    await writer.settle();
    expect(writer.offset).toBe(data.length);
    expect(writer.record.storedBytes).toBe(8 * chunkSize); // 10 123 bytes still in the filling buffer
    for (const n of [1, 10_000, 10_123, 10_124, 65_536, 100_000]) {
      expect(Buffer.from(await writer.tail(n)).equals(Buffer.from(data.subarray(data.length - n))), `tail(${n})`).toBe(true);
    }
    const third = await store.getChunk('m', 'unet/weights.pb', 2);
    expect(createHash('sha256').update(third!).digest('hex')).toBe(writer.record.chunks[2]);

    // A later session continues from the stored record: the tail is read from the chunks alone.
    const later = new ChunkWriter(store, 'm', chunkSize, (await store.getFile('m', 'unet/weights.pb'))!, () => {});
    expect(later.offset).toBe(8 * chunkSize);
    expect(Buffer.from(await later.tail(65_536)).equals(Buffer.from(data.subarray(8 * chunkSize - 65_536, 8 * chunkSize)))).toBe(true);
    await later.accept(data.subarray(8 * chunkSize));
    await later.close();
    expect(later.hex()).toBe(createHash('sha256').update(data).digest('hex'));
  });
});
