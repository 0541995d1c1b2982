/**
 * Model folders on disk as the engine's ModelStore (Node: the CLI, tests, benchmarks), in place of the
 * browser's IndexedDB weight store. Nothing downloads: `ensure` lists the folder (every file and its
 * size, following symlinks), lets the engine refuse it from that list (`checkFiles`: no VAE encoder for
 * img2img) and from its graphs and sizes (`check`: the load-time fit checks of model-fit.ts), then
 * returns a DirectoryModelSource over it. A folder on disk is the user's: nothing is listed or deleted.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelStore, StoredModelInfo } from '../engine/ports.js';
import { DirectoryModelSource } from './directory-source.js';

export class DirectoryModelStore implements ModelStore {
  async ensure(url: string, options: Parameters<ModelStore['ensure']>[1] = {}): Promise<DirectoryModelSource> {
    const source = new DirectoryModelSource(url);
    // A missing folder or one without model_index.json: the source's own ModelFileMissingError.
    if (!(await source.has('model_index.json'))) await source.readText('model_index.json');
    const files = await listFiles(source.root);
    await options.checkFiles?.({ name: source.name, files });
    await options.check?.({ name: source.name, files, read: (path) => source.readBytes(path) });
    return source;
  }

  async list(): Promise<StoredModelInfo[]> {
    return [];
  }

  async delete(): Promise<void> {}
}

/** Every file under `root` (relative '/'-separated path -> size), symlinks followed. */
async function listFiles(root: string, prefix = '', files = new Map<string, number | null>()): Promise<Map<string, number | null>> {
  for (const name of await readdir(join(root, prefix))) {
    const path = prefix ? `${prefix}/${name}` : name;
    const info = await stat(join(root, path)).catch(() => null); // a dangling link is not a file
    if (info?.isDirectory()) await listFiles(root, path, files);
    else if (info?.isFile()) files.set(path, info.size);
  }
  return files;
}
