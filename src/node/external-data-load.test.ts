/**
 * Loading models whose weights lie in several external-data files with other names than weights.pb,
 * through the engine's path (readModelPart: file names read from the graph; createSession), on
 * onnxruntime-web's wasm backend and onnxruntime-node's CPU EP. The expected outputs are the sums
 * of the stored values, computed here.
 *
 * The last test stores more than 2 GiB of external data (two sparse 1.25 GiB files, so the disk
 * holds only a few bytes): the directory source hands the runtime file paths, never one buffer, and
 * onnxruntime-node reads just the tensors it needs.
 */
import { existsSync, mkdtempSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync, ftruncateSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readModelPart } from '../engine/model/model-folder.js';
import { createSession, type OrtModule } from '../engine/runtime/ort.js';
import { graphProto, modelProto, tensorProto } from '../core/onnx/onnx-write.js';
import { DirectoryModelSource } from './directory-source.js';
import { nativeRuntime } from './ort-native.js';
import { wasmRuntime } from './ort-node.js';

const GiB = 2 ** 30;
const root = mkdtempSync(join(tmpdir(), 'sd-external-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Stored {
  name: string;
  location: string;
  offset: number;
  values: number[];
  /** The file's size (default: just past the tensor); a larger size makes a sparse file. */
  fileSize?: number;
}

/** unet/model.onnx computing y = x + w0 + w1 + ..., each w stored where `stored` says. */
function writeModel(dir: string, stored: Stored[]): void {
  mkdirSync(join(dir, 'unet', 'shards'), { recursive: true });
  writeFileSync(join(dir, 'model_index.json'), '{}');
  const nodes = stored.map((s, i) => ({ op: 'Add', inputs: [i === 0 ? 'x' : `s${i - 1}`, s.name], outputs: [i === stored.length - 1 ? 'y' : `s${i}`] }));
  const initializers = stored.map((s) => tensorProto({ name: s.name, dims: [4], external: { location: s.location, offset: s.offset, length: 16 } }));
  writeFileSync(
    join(dir, 'unet', 'model.onnx'),
    modelProto(graphProto({ nodes, initializers, inputs: [{ name: 'x', dims: [4] }], outputs: [{ name: 'y', dims: [4] }] })),
  );
  for (const s of stored) {
    const path = join(dir, 'unet', s.location);
    const fd = openSync(path, existsSync(path) ? 'r+' : 'w+'); // not 'a': appends ignore the position
    try {
      if (s.fileSize) ftruncateSync(fd, s.fileSize);
      writeSync(fd, new Uint8Array(Float32Array.from(s.values).buffer), 0, 16, s.offset);
    } finally {
      closeSync(fd);
    }
  }
}

async function run(ort: OrtModule, providers: ['wasm'] | ['cpu'], dir: string): Promise<number[]> {
  const part = await readModelPart(new DirectoryModelSource(dir), 'unet');
  const session = await createSession(ort, part.model, { executionProviders: providers, externalData: part.externalData, modelFile: part.modelFile });
  try {
    const { y } = await session.run({
      x: new (ort.Tensor as typeof import('onnxruntime-web').Tensor)('float32', Float32Array.from([0.5, 0.5, 0.5, 0.5]), [4]),
    });
    return [...(y.data as Float32Array)];
  } finally {
    await session.release();
  }
}

const several: Stored[] = [
  { name: 'w0', location: 'model.onnx_data', offset: 0, values: [1, 2, 3, 4] },
  { name: 'w1', location: 'model.onnx_data', offset: 4096, values: [10, 20, 30, 40] },
  { name: 'w2', location: 'model.onnx.data', offset: 32, values: [100, 200, 300, 400] },
  { name: 'w3', location: 'shards/part-2.bin', offset: 0, values: [1000, 2000, 3000, 4000] },
];
const expected = [1111.5, 2222.5, 3333.5, 4444.5];

describe('external data in several files, named by the graph', () => {
  const dir = join(root, 'several');
  writeModel(dir, several);

  it('readModelPart lists each file the graph names once, as a local path beside the model', async () => {
    const part = await readModelPart(new DirectoryModelSource(dir), 'unet');
    expect(part.externalData).toEqual([
      { path: 'model.onnx_data', data: join(dir, 'unet', 'model.onnx_data') },
      { path: 'model.onnx.data', data: join(dir, 'unet', 'model.onnx.data') },
      { path: 'shards/part-2.bin', data: join(dir, 'unet', 'shards', 'part-2.bin') },
    ]);
    expect(part.modelFile).toBe(join(dir, 'unet', 'model.onnx'));
  });

  it('onnxruntime-web (wasm) runs it', async () => {
    expect(await run(wasmRuntime(), ['wasm'], dir)).toEqual(expected);
  });

  it('onnxruntime-node (CPU EP) runs it, reading the files itself', async () => {
    expect(await run(nativeRuntime('cpu').ort, ['cpu'], dir)).toEqual(expected);
  });

  it('a source without local paths hands over the bytes of each file', async () => {
    const source = new DirectoryModelSource(dir);
    const bytesOnly = { name: source.name, has: source.has.bind(source), readBytes: source.readBytes.bind(source), readText: source.readText.bind(source) };
    const part = await readModelPart(bytesOnly, 'unet');
    expect(part.modelFile).toBeUndefined();
    expect(part.externalData.map((e) => [e.path, (e.data as Uint8Array).byteLength])).toEqual([
      ['model.onnx_data', 4112],
      ['model.onnx.data', 48],
      ['shards/part-2.bin', 16],
    ]);
    const session = await createSession(wasmRuntime(), part.model, { executionProviders: ['wasm'], externalData: part.externalData });
    const { Tensor } = wasmRuntime();
    const { y } = await session.run({ x: new Tensor('float32', Float32Array.from([0.5, 0.5, 0.5, 0.5]), [4]) });
    expect([...(y.data as Float32Array)]).toEqual(expected);
    await session.release();
  });

  it('a missing data file is a one-line error naming the file and what to copy', async () => {
    const broken = join(root, 'missing');
    writeModel(broken, several);
    rmSync(join(broken, 'unet', 'model.onnx.data'));
    await expect(readModelPart(new DirectoryModelSource(broken), 'unet')).rejects.toThrow(
      /keeps its weights in model.onnx.data, which is missing: copy every file of unet\//,
    );
  });
});

describe('more than 2 GiB of external data', () => {
  const dir = join(root, 'large');
  writeModel(dir, [
    { name: 'w0', location: 'part-1.bin', offset: 1.25 * GiB - 16, fileSize: 1.25 * GiB, values: [1, 2, 3, 4] },
    { name: 'w1', location: 'part-2.bin', offset: 1.25 * GiB - 16, fileSize: 1.25 * GiB, values: [10, 20, 30, 40] },
  ]);

  it('loads on onnxruntime-node from the file paths, without a 2.5 GiB buffer', async () => {
    const part = await readModelPart(new DirectoryModelSource(dir), 'unet');
    expect(part.externalData.every((e) => typeof e.data === 'string')).toBe(true);
    expect(await run(nativeRuntime('cpu').ort, ['cpu'], dir)).toEqual([11.5, 22.5, 33.5, 44.5]);
  });
});

describe('DirectoryModelSource.readBytes past the single-read limit', () => {
  it('reads a file larger than the limit in pieces, byte for byte', async () => {
    const dir = join(root, 'pieces');
    mkdirSync(dir, { recursive: true });
    const bytes = Uint8Array.from({ length: 25 }, (_, i) => (i * 37) % 256);
    writeFileSync(join(dir, 'w.bin'), bytes);
    const read = await new DirectoryModelSource(dir, 'pieces', { maxSingleRead: 10 }).readBytes('w.bin');
    expect([...read]).toEqual([...bytes]);
  });
});
