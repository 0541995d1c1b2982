/**
 * `generate`: one image from the command line, written as a PNG with A1111-style `parameters`.
 * Everything the user gave is checked before any work: the flags (mapped once to the engine's
 * request and checked by its one validator against the model folder's size rule), the output
 * folders and the latents file. Outputs are written to temporary names and renamed, so a failure
 * (a full disk, a NaN image) leaves no file behind.
 */
import { readFile } from 'node:fs/promises';
import { InvalidRequestError, ModelFileMissingError } from '../core/errors.js';
import { folderGeometry, openModelFolder } from '../engine/model/model-folder.js';
import { StableDiffusionPipeline } from '../engine/pipeline.js';
import { encodeImagePng } from '../engine/request/png-file.js';
import { validateRequest, type GenerationRequest, type RequestField } from '../engine/request/request.js';
import { checkOutputPath, writeFilesAtomically } from '../node/atomic-write.js';
import { DirectoryModelSource } from '../node/directory-source.js';
import { nativeRuntime } from '../node/ort-native.js';
import { wasmRuntime } from '../node/ort-node.js';
import type { OrtModule, OrtSessionOptions } from '../engine/runtime/ort.js';
import { numberFlag, parseFlags, requireFlag } from './args.js';
import { defaultModelDir } from './defaults.js';
import { promptSyntaxFlag } from './prompt-commands.js';
import { readImageFlags } from './image-flags.js';
import { stepLines } from './step-lines.js';

const FLAGS = {
  model: { type: 'string' },
  prompt: { type: 'string' },
  'negative-prompt': { type: 'string' },
  'prompt-syntax': { type: 'string' },
  scheduler: { type: 'string' },
  steps: { type: 'string' },
  guidance: { type: 'string' },
  seed: { type: 'string' },
  latents: { type: 'string' },
  width: { type: 'string' },
  height: { type: 'string' },
  'init-image': { type: 'string' },
  mask: { type: 'string' },
  strength: { type: 'string' },
  decoder: { type: 'string' },
  out: { type: 'string' },
  raw: { type: 'string' },
  runtime: { type: 'string' },
} as const;

/** Request field -> the flag that sets it (the one mapping between the two vocabularies). */
export const FLAG_FOR_FIELD: Record<RequestField, string> = {
  prompt: 'prompt',
  negativePrompt: 'negative-prompt',
  promptSyntax: 'prompt-syntax',
  scheduler: 'scheduler',
  numInferenceSteps: 'steps',
  guidanceScale: 'guidance',
  seed: 'seed',
  latents: 'latents',
  width: 'width',
  height: 'height',
  initImage: 'init-image',
  mask: 'mask',
  strength: 'strength',
  decoder: 'decoder',
};

export async function generateCommand(argv: string[]): Promise<void> {
  // 1. Flags, output paths and the latents file: bad input fails here, before any work.
  const { values, positionals } = parseFlags(argv, FLAGS);
  if (positionals.length > 0) throw new InvalidRequestError(`Unexpected argument "${positionals[0]}" (quote the prompt: --prompt "...").`);
  if (values.prompt === undefined) throw new InvalidRequestError('--prompt is required (--prompt "" generates without one, unconditionally).', 'prompt');
  const out = requireFlag(values.out, 'out');
  await checkOutputPath(out, 'out');
  if (values.raw !== undefined) {
    await checkOutputPath(values.raw, 'raw');
    if (values.raw === out) throw new InvalidRequestError('--raw and --out name the same file.');
  }
  const latents = values.latents === undefined ? undefined : await readFloat32(values.latents);
  const promptSyntax = promptSyntaxFlag(values['prompt-syntax']);
  const request: GenerationRequest = {
    prompt: values.prompt,
    negativePrompt: values['negative-prompt'],
    promptSyntax,
    scheduler: values.scheduler as GenerationRequest['scheduler'],
    numInferenceSteps: numberFlag(values.steps, 'steps'),
    guidanceScale: numberFlag(values.guidance, 'guidance'),
    seed: numberFlag(values.seed, 'seed') ?? (latents ? undefined : 0),
    latents,
    width: numberFlag(values.width, 'width'),
    height: numberFlag(values.height, 'height'),
    decoder: values.decoder as GenerationRequest['decoder'],
    ...(await readImageFlags(values['init-image'], values.mask, numberFlag(values.strength, 'strength'))),
  };

  // 2. The request against the model folder's rules (size multiple, latent shape), before loading it.
  const source = new DirectoryModelSource(values.model ?? defaultModelDir());
  const folder = await openModelFolder(source);
  const [invalid] = validateRequest(request, folderGeometry(folder));
  if (invalid) throw new InvalidRequestError(`--${FLAG_FOR_FIELD[invalid.field]}: ${invalid.message}`, invalid.field);
  if (request.initImage && !folder.hasVaeEncoder) throw new ModelFileMissingError(`"${source.name}" has no vae_encoder/model.onnx, which --init-image needs: use a model folder exported with its VAE encoder.`);

  // 3. Load, warn about what the text encoder cannot see, generate.
  const { ort, executionProviders } = cliRuntime(values.runtime);
  const pipeline = await StableDiffusionPipeline.load(ort, source, { executionProviders });
  try {
    for (const [flag, text] of [['prompt', request.prompt], ['negative-prompt', request.negativePrompt ?? '']] as const) {
      const { tokenCount, maxTokens, truncated } = pipeline.tokenize(text, promptSyntax);
      if (truncated) process.stderr.write(`warning: --${flag} has ${tokenCount} tokens; the text encoder reads the first ${maxTokens}, the rest is cut (as in diffusers; --prompt-syntax a1111 reads it all, in chunks).\n`);
    }
    const steps = stepLines((text) => void process.stderr.write(text), process.stderr.isTTY === true);
    const result = await pipeline.generate(request, { onProgress: steps.onProgress }).finally(steps.close);

    // 4. Every output, or none.
    const files = [{ path: out, data: await encodeImagePng(result) }];
    if (values.raw) files.push({ path: values.raw, data: bytesOf(result.image) });
    await writeFilesAtomically(files);
    const { timings, request: r } = result;
    console.error(`${out}: ${result.width}x${result.height}, ${r.scheduler} ${r.numInferenceSteps} steps, seed ${r.seed ?? '(given latents)'}; ` +
      `${(timings.denoiseMs / timings.stepMs.length).toFixed(0)} ms/UNet call, total ${(timings.totalMs / 1000).toFixed(2)} s`);
  } finally {
    await pipeline.dispose();
  }
}

async function readFloat32(path: string): Promise<Float32Array> {
  const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new InvalidRequestError(`--latents ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}.`, 'latents');
  });
  if (bytes.byteLength % 4 !== 0) throw new InvalidRequestError(`--latents ${path} is not raw float32 data (${bytes.byteLength} bytes is not a multiple of 4).`, 'latents');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function bytesOf(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * --runtime wasm (default: onnxruntime-web, as in the browser; one 4 GB heap) or cpu (onnxruntime-node's
 * CPU EP: reads the external data files itself, no heap limit; for real-size SD v1.4 portable folders).
 */
function cliRuntime(runtime: string | undefined): { ort: OrtModule; executionProviders: OrtSessionOptions['executionProviders'] } {
  if (runtime === undefined || runtime === 'wasm') return { ort: wasmRuntime(), executionProviders: ['wasm'] };
  if (runtime === 'cpu') return { ort: nativeRuntime('cpu').ort, executionProviders: ['cpu'] };
  throw new InvalidRequestError(`--runtime must be wasm or cpu (got "${runtime}").`);
}
