/**
 * `generate`: one image from the command line, written as a PNG with A1111-style `parameters`.
 * It runs on the same Engine as the browser's worker (LocalEngine over a DirectoryModelStore). The
 * flags, the output folders and the latents file are checked before any work; the request is checked
 * once, by the engine against the loaded model, and a refused field is said with its flag. Outputs are written to temporary names and renamed, so a failure
 * (a full disk, a NaN image) leaves no file behind. A picture the folder's safety checker flags is withheld:
 * no file, exit status 3; --no-safety-checker turns the checker off with diffusers' licence warning.
 */
import { readFile } from 'node:fs/promises';
import { InvalidRequestError } from '../core/errors.js';
import { LocalEngine } from '../engine/local-engine.js';
import { encodeImagePng } from '../engine/request/png-file.js';
import type { GenerationRequest, RequestField } from '../engine/request/request.js';
import type { Capabilities } from '../engine/runtime/capabilities.js';
import { wasmOnlyCapabilities } from '../engine/runtime/capabilities.js';
import { checkOutputPaths, writeFilesAtomically } from '../node/atomic-write.js';
import { DirectoryModelStore } from '../node/directory-store.js';
import { numberFlag, parseFlags, requireFlag } from './args.js';
import { defaultModelDir } from './defaults.js';
import { promptSyntaxFlag } from './prompt-commands.js';
import { readImageFlags } from './image-flags.js';
import { cliRuntime, fallbackRuntime, type CliRuntime } from './runtime-choice.js';
import { cliLoras, type CliLoras } from './lora-flags.js';
import { stepLines } from './step-lines.js';
import { SAFETY_CHECKER_OFF_WARNING } from '../engine/safety/safety-off-warning.js';
import { withRecommendation } from '../engine/model/model-recommendation.js';

const FLAGS = {
  model: { type: 'string' },
  prompt: { type: 'string' },
  'negative-prompt': { type: 'string' },
  'prompt-syntax': { type: 'string' },
  scheduler: { type: 'string' },
  steps: { type: 'string' },
  guidance: { type: 'string' },
  eta: { type: 'string' },
  'timestep-spacing': { type: 'string' },
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
  'no-safety-checker': { type: 'boolean' },
  lora: { type: 'string', multiple: true },
  'lora-dir': { type: 'string' },
} as const;

/** Request field -> the flag that sets it (the one mapping between the two vocabularies). */
export const FLAG_FOR_FIELD: Record<RequestField, string> = {
  prompt: 'prompt',
  negativePrompt: 'negative-prompt',
  promptSyntax: 'prompt-syntax',
  scheduler: 'scheduler',
  numInferenceSteps: 'steps',
  guidanceScale: 'guidance',
  eta: 'eta',
  timestepSpacing: 'timestep-spacing',
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
  await checkOutputPaths([{ path: out, flag: 'out' }, ...(values.raw === undefined ? [] : [{ path: values.raw, flag: 'raw' }])]);
  const latents = values.latents === undefined ? undefined : await readFloat32(values.latents);
  const promptSyntax = promptSyntaxFlag(values['prompt-syntax']);
  const lora = await cliLoras(values.prompt, values.lora ?? [], values['lora-dir']); // <lora:...> tags out of the prompt, every file checked
  const request: GenerationRequest = {
    prompt: lora.prompt,
    negativePrompt: values['negative-prompt'],
    promptSyntax,
    scheduler: values.scheduler as GenerationRequest['scheduler'],
    numInferenceSteps: numberFlag(values.steps, 'steps'),
    guidanceScale: numberFlag(values.guidance, 'guidance'),
    eta: numberFlag(values.eta, 'eta'),
    timestepSpacing: values['timestep-spacing'] as GenerationRequest['timestepSpacing'],
    seed: numberFlag(values.seed, 'seed') ?? (latents ? undefined : 0),
    latents,
    width: numberFlag(values.width, 'width'),
    height: numberFlag(values.height, 'height'),
    decoder: values.decoder as GenerationRequest['decoder'],
    ...(await readImageFlags(values['init-image'], values.mask, numberFlag(values.strength, 'strength'))),
  };

  // 2. The model through the engine the worker runs: one open, one validation of the request against the
  //    folder's rules as soon as its configs are read, the fit checks (weights, attention at this size), and
  //    a picture request on a folder without vae_encoder/ refused from its file list, all before any session
  //    loads. When wasm cannot fit and no --runtime was given, onnxruntime-node's CPU runtime (runtime-choice.ts).
  const dir = values.model ?? defaultModelDir();
  const warn = (line: string) => void process.stderr.write(`${line}\n`);
  // The folder's safety checker runs unless turned off explicitly (diffusers' warning then); a flagged
  // picture is withheld: NsfwContentDetectedError, exit status 3 (run-main.ts), no file written.
  const safetyChecker = values['no-safety-checker'] !== true;
  if (!safetyChecker) warn(`warning: ${SAFETY_CHECKER_OFF_WARNING}`);
  let runtime: CliRuntime | null = cliRuntime(values.runtime);
  while (runtime) {
    const engine = new LocalEngine({ ...runtime, store: new DirectoryModelStore(), detect: nodeCapabilities });
    try {
      return await generateWith(engine, dir, request, lora, { ...values, safetyChecker }, out);
    } catch (error) {
      runtime = fallbackRuntime(values.runtime, runtime, error, warn);
      if (!runtime) throw error;
    } finally {
      await engine.dispose();
    }
  }
}

async function generateWith(
  engine: LocalEngine,
  dir: string,
  request: GenerationRequest,
  lora: CliLoras,
  values: { raw?: string; scheduler?: string; steps?: string; guidance?: string; safetyChecker: boolean },
  out: string,
): Promise<void> {
  {
    const model = await engine
      .load(
        { id: dir, urls: { fp32: dir } },
        { needsVaeEncoder: request.initImage !== undefined, safetyChecker: values.safetyChecker, request, loras: lora.loras },
      )
      .catch(inFlagWords);
    // An LCM-distilled folder recommends LCM, 4 steps, guidance 1 for the sampler flags not given (field by field, as the app and the element).
    const { request: recommended, taken } = withRecommendation(request, model.recommended, {
      scheduler: values.scheduler !== undefined,
      steps: values.steps !== undefined,
      guidance: values.guidance !== undefined,
    });
    if (taken.length) {
      Object.assign(request, recommended);
      const flag = { scheduler: '--scheduler', numInferenceSteps: '--steps', guidanceScale: '--guidance' } as const;
      process.stderr.write(
        `${model.name} is LCM-distilled: ${taken.map((field) => `${flag[field]} ${recommended[field]}`).join(' ')} (its recommendation for the flags not given).\n`,
      );
    }
    const promptSyntax = request.promptSyntax;

    // 3. Warn about what the text encoder cannot see, generate (the request is checked against the model before any work).
    for (const [flag, text] of [
      ['prompt', request.prompt],
      ['negative-prompt', request.negativePrompt ?? ''],
    ] as const) {
      const { tokenCount, maxTokens, truncated } = await engine.tokenize(text, promptSyntax);
      if (truncated)
        process.stderr.write(
          `warning: --${flag} has ${tokenCount} tokens; the text encoder reads the first ${maxTokens}, the rest is cut (as in diffusers; --prompt-syntax a1111 reads it all, in chunks).\n`,
        );
    }
    const steps = stepLines((text) => void process.stderr.write(text), process.stderr.isTTY === true);
    const result = await engine
      .generate(request, { onProgress: steps.onProgress, previewEvery: 0, floatImage: values.raw !== undefined })
      .catch(inFlagWords)
      .finally(steps.close);

    // 4. Every output, or none.
    const files = [{ path: out, data: await encodeImagePng({ ...result, request: { ...result.request, prompt: lora.infotextPrompt } }, lora.extra) }];
    if (values.raw && result.image) files.push({ path: values.raw, data: bytesOf(result.image) });
    await writeFilesAtomically(files);
    const { timings, request: r } = result;
    console.error(
      `${out}: ${result.width}x${result.height}, ${r.scheduler} ${r.numInferenceSteps} steps, seed ${r.seed ?? '(given latents)'}; ` +
        `${(timings.denoiseMs / timings.stepMs.length).toFixed(0)} ms/UNet call, total ${(timings.totalMs / 1000).toFixed(2)} s`,
    );
  }
}

/** A request field the engine refused, said in the CLI's words: the flag that sets it. */
function inFlagWords(error: unknown): never {
  if (error instanceof InvalidRequestError && error.field !== undefined && error.field in FLAG_FOR_FIELD) {
    throw new InvalidRequestError(`--${FLAG_FOR_FIELD[error.field as RequestField]}: ${error.message}`, error.field);
  }
  throw error;
}

/** Node has no WebGPU here: the engine runs on the runtime's one backend (LocalEngineOptions.backend). */
async function nodeCapabilities(): Promise<Capabilities> {
  return wasmOnlyCapabilities('no WebGPU in Node');
}

async function readFloat32(path: string): Promise<Float32Array> {
  const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new InvalidRequestError(`--latents ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}.`, 'latents');
  });
  if (bytes.byteLength % 4 !== 0)
    throw new InvalidRequestError(`--latents ${path} is not raw float32 data (${bytes.byteLength} bytes is not a multiple of 4).`, 'latents');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function bytesOf(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
