/**
 * LoRA files as they cross to the engine's worker (protocol/messages.ts `load`): the file's bytes as a
 * Blob (posted by reference, not copied per call) with a key that names the same bytes from one load to
 * the next, the name the LoRA's messages use, and its weights. The worker keeps the files it read by key,
 * so a load with the same files (a new generation, a weight changed) hands the pipeline the very same
 * LoraFile objects: lora-parts.ts changedLoraParts compares files by identity and re-makes only the
 * sessions whose merge changed, and a set without any LoRA re-makes the base sessions from the stored,
 * never-modified weights.
 */
import { readLoraFile, type LoraFile } from '../../core/lora/lora-file.js';
import type { ActiveLora } from './lora-parts.js';

/** A LoRA as the page gives it to a WorkerEngine (and the worker to its LocalEngine). */
export interface LoraInput {
  /** The file's name ('style.safetensors'), for messages. */
  name: string;
  data: Blob;
  /** The text encoder's weight, and the UNet's unless unetWeight is given. */
  weight: number;
  unetWeight?: number;
}

/** On the wire: the input and a key for its bytes (the same Blob object gets the same key: worker-engine.ts). */
export interface LoraWire extends LoraInput {
  key: string;
}

/** Reads LoRA inputs into ActiveLoras, reusing the LoraFile of a key read before; keeps only the last set's files. */
export class LoraInputReader {
  #files = new Map<string, LoraFile>();

  async read(inputs: readonly LoraWire[]): Promise<ActiveLora[]> {
    const files = new Map<string, LoraFile>();
    const loras: ActiveLora[] = [];
    for (const input of inputs) {
      let file = files.get(input.key) ?? this.#files.get(input.key);
      if (!file) file = readLoraFile(input.name, new Uint8Array(await input.data.arrayBuffer()));
      files.set(input.key, file);
      loras.push({ file, weight: input.weight, ...(input.unetWeight === undefined ? {} : { unetWeight: input.unetWeight }) });
    }
    this.#files = files;
    return loras;
  }
}
