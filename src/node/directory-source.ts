/** A model folder on disk (Node: CLI, tests, benchmarks). */
import { access, open, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ModelFileMissingError, ModelFormatError } from '../core/errors.js';
import type { ModelSource } from '../engine/model/model-source.js';

/** fs.readFile refuses files of 2 GiB and more (ERR_FS_FILE_TOO_LARGE): larger ones are read in pieces. */
const MAX_SINGLE_READ = 2 ** 31 - 1;
const READ_PIECE = 2 ** 30;

export interface DirectorySourceOptions {
  /** Files larger than this are read in pieces of at most this many bytes (default: fs.readFile's 2 GiB limit). */
  maxSingleRead?: number;
}

export class DirectoryModelSource implements ModelSource {
  readonly name: string;
  readonly root: string;

  private readonly maxSingleRead: number;

  constructor(root: string, name?: string, options: DirectorySourceOptions = {}) {
    this.root = resolve(root);
    this.name = name ?? basename(this.root);
    this.maxSingleRead = options.maxSingleRead ?? MAX_SINGLE_READ;
  }

  localPath(path: string): string {
    return join(this.root, path);
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
    const file = join(this.root, path);
    try {
      const { size } = await stat(file);
      if (size <= this.maxSingleRead) {
        const buffer = await readFile(file);
        return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      }
      return await readInPieces(file, size, Math.min(READ_PIECE, this.maxSingleRead));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ModelFileMissingError(
          `The model folder ${this.root} has no ${path}: is it a diffusers ONNX export (model_index.json, unet/model.onnx, ...)?`,
        );
      }
      throw error;
    }
  }

  async readText(path: string): Promise<string> {
    return new TextDecoder().decode(await this.readBytes(path));
  }
}

/** A file of 2 GiB or more into one Uint8Array (up to the platform's typed-array limit, 4 GiB in Node 20). */
async function readInPieces(file: string, size: number, piece: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  const handle = await open(file, 'r');
  try {
    for (let at = 0; at < size; ) {
      const { bytesRead } = await handle.read(out, at, Math.min(piece, size - at), at);
      if (bytesRead === 0) throw new ModelFormatError(`${file} ended at byte ${at} of ${size} while being read: was it being written? Try again.`);
      at += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return out;
}
