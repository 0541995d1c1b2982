/** A model folder on disk (Node: CLI, tests, benchmarks). */
import { access, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ModelFileMissingError } from '../core/errors.js';
import type { ModelSource } from '../engine/model-source.js';

export class DirectoryModelSource implements ModelSource {
  readonly name: string;
  readonly root: string;

  constructor(root: string, name?: string) {
    this.root = resolve(root);
    this.name = name ?? basename(this.root);
  }

  async has(path: string): Promise<boolean> {
    try {
      await access(join(this.root, path));
      return true;
    } catch {
      return false;
    }
  }

  async readBytes(path: string): Promise<Uint8Array> {
    try {
      const buffer = await readFile(join(this.root, path));
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ModelFileMissingError(`The model folder ${this.root} has no ${path}: is it a diffusers ONNX export (model_index.json, unet/model.onnx, ...)?`);
      }
      throw error;
    }
  }

  async readText(path: string): Promise<string> {
    return new TextDecoder().decode(await this.readBytes(path));
  }
}
