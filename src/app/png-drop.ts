/**
 * Reads generation parameters from a PNG (made here, or by AUTOMATIC1111 and its forks: the
 * `parameters` tEXt/iTXt chunk) dropped anywhere on the page or chosen with the file input, the
 * keyboard-friendly way in. A drop an inner zone handled (defaultPrevented) is left to it.
 */
import { parseParameters, type ParsedGenerationParameters } from '../core/parameters.js';
import { readPngTextChunks } from '../core/png.js';

export interface PngDropOptions {
  target: HTMLElement | Window;
  input: HTMLInputElement;
  overlay: HTMLElement;
  onParameters(parameters: ParsedGenerationParameters, fileName: string): void;
  onError(message: string): void;
}

/**
 * The longest `parameters` text read from a dropped PNG. Parsing is linear (a 1 MB text takes
 * ~5-10 ms, `npm run bench:parameters`), so this runs on the main thread; the bound keeps a crafted
 * file from holding the page anyway. Real infotexts are a few thousand characters at most.
 */
export const MAX_PARAMETERS_CHARS = 200_000;

/** The parameters in a PNG's bytes; throws an error that says what is wrong with the file. */
export function parametersFromPng(bytes: Uint8Array): ParsedGenerationParameters {
  const text = readPngTextChunks(bytes).parameters;
  if (text === undefined) {
    throw new Error(
      'This PNG has no generation parameters (no "parameters" text chunk). Images saved by this app or by AUTOMATIC1111 have one; most image editors remove it when they save.',
    );
  }
  if (text.length > MAX_PARAMETERS_CHARS) {
    throw new Error(
      `This PNG's generation parameters are ${text.length.toLocaleString('en-US')} characters long, more than the ${MAX_PARAMETERS_CHARS.toLocaleString('en-US')} this app reads; it was not made by a Stable Diffusion UI. Type the settings instead.`,
    );
  }
  return parseParameters(text);
}

export function attachPngDrop(options: PngDropOptions): () => void {
  const { target, input, overlay } = options;
  let depth = 0;
  const hasFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;

  const read = async (file: File) => {
    try {
      if (file.type && file.type !== 'image/png') throw new Error(`"${file.name}" is not a PNG (${file.type}): only PNGs carry generation parameters.`);
      options.onParameters(parametersFromPng(new Uint8Array(await file.arrayBuffer())), file.name);
    } catch (error) {
      options.onError(`${file.name}: ${(error as Error).message}`);
    }
  };

  const onDragEnter = (event: Event) => {
    if (!hasFiles(event as DragEvent)) return;
    depth++;
    overlay.hidden = false;
  };
  const onDragLeave = (event: Event) => {
    if (!hasFiles(event as DragEvent)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) overlay.hidden = true;
  };
  const onDragOver = (event: Event) => {
    if (hasFiles(event as DragEvent)) event.preventDefault();
  };
  const onDrop = (event: Event) => {
    const drop = event as DragEvent;
    if (!hasFiles(drop)) return;
    // An inner drop zone (the picture box of "Start from a picture") took the file already.
    const taken = drop.defaultPrevented;
    drop.preventDefault(); // or the browser navigates to the dropped file
    depth = 0;
    overlay.hidden = true;
    if (taken) return;
    const file = drop.dataTransfer?.files[0];
    if (file) void read(file);
  };
  const onChange = () => {
    const file = input.files?.[0];
    if (file) void read(file);
    input.value = '';
  };

  target.addEventListener('dragenter', onDragEnter);
  target.addEventListener('dragleave', onDragLeave);
  target.addEventListener('dragover', onDragOver);
  target.addEventListener('drop', onDrop);
  input.addEventListener('change', onChange);
  return () => {
    target.removeEventListener('dragenter', onDragEnter);
    target.removeEventListener('dragleave', onDragLeave);
    target.removeEventListener('dragover', onDragOver);
    target.removeEventListener('drop', onDrop);
    input.removeEventListener('change', onChange);
  };
}
