/**
 * A model whose bytes exist only in memory (a LoRA-merged view: the relocated graph and the merged tensors'
 * buffer, engine/lora/lora-parts.ts), laid out on disk for a runtime that opens model files itself
 * (onnxruntime-node reads a model and its external data by path, not from buffers). A temporary folder
 * gets model.onnx and each in-memory external-data file; the stored files the graph still names are linked
 * in by their location, never written: a hard link (onnxruntime refuses a symbolic link, whose target lies
 * outside the model's folder), else, where the temporary folder is on another file system, a copy. The
 * folder is removed once the session is made: onnxruntime has read (or mapped) what it needs by then.
 */
import { copyFile, link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { normalizeExternalLocation } from '../core/onnx/external-data.js';
import type { ExternalDataEntry, ModelFolderOnDisk } from '../engine/runtime/ort.js';

export async function writeModelFolder(model: Uint8Array, externalData: readonly ExternalDataEntry[]): Promise<ModelFolderOnDisk> {
  const folder = await mkdtemp(join(tmpdir(), 'sd-web-model-'));
  try {
    await writeFile(join(folder, 'model.onnx'), model);
    for (const { path, data } of externalData) {
      const target = join(folder, normalizeExternalLocation(path, 'the merged model')); // relative, no `..`: inside the folder
      await mkdir(dirname(target), { recursive: true });
      if (typeof data !== 'string') await writeFile(target, data);
      else await linkOrCopy(resolve(data), target);
    }
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
  return { modelFile: join(folder, 'model.onnx'), remove: () => rm(folder, { recursive: true, force: true }) };
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to); // another file system (a tmpfs /tmp), or no hard links there
  }
}
