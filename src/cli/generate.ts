/** `generate`: one image from the command line, written as a PNG with A1111-style `parameters`. */
import { readFile, writeFile } from 'node:fs/promises';
import { InvalidRequestError } from '../core/errors.js';
import { formatParameters } from '../core/parameters.js';
import { encodePng } from '../core/png.js';
import type { SchedulerName } from '../core/schedulers/scheduler.js';
import { StableDiffusionPipeline } from '../engine/pipeline.js';
import { DirectoryModelSource } from '../node/directory-source.js';
import { wasmRuntime } from '../node/ort-node.js';
import { floatFlag, intFlag, parseFlags, requireFlag } from './args.js';
import { defaultModelDir } from './defaults.js';

const FLAGS = {
  model: { type: 'string' },
  prompt: { type: 'string' },
  'negative-prompt': { type: 'string' },
  scheduler: { type: 'string' },
  steps: { type: 'string' },
  guidance: { type: 'string' },
  seed: { type: 'string' },
  latents: { type: 'string' },
  width: { type: 'string' },
  height: { type: 'string' },
  out: { type: 'string' },
  raw: { type: 'string' },
} as const;

export async function generateCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv, FLAGS);
  if (positionals.length > 0) throw new InvalidRequestError(`Unexpected argument "${positionals[0]}" (quote the prompt: --prompt "...").`);
  const out = requireFlag(values.out, 'out');
  if (values.seed !== undefined && values.latents !== undefined) throw new InvalidRequestError('Give --seed or --latents, not both.');
  const latents = values.latents === undefined ? undefined : await readFloat32(values.latents);
  const seed = intFlag(values.seed, 'seed') ?? (latents ? undefined : 0);

  const source = new DirectoryModelSource(values.model ?? defaultModelDir());
  const pipeline = await StableDiffusionPipeline.load(wasmRuntime(), source, { executionProviders: ['wasm'] });
  try {
    const result = await pipeline.generate(
      {
        prompt: requireFlag(values.prompt, 'prompt'),
        negativePrompt: values['negative-prompt'],
        scheduler: values.scheduler as SchedulerName | undefined,
        numInferenceSteps: intFlag(values.steps, 'steps'),
        guidanceScale: floatFlag(values.guidance, 'guidance'),
        seed,
        latents,
        width: intFlag(values.width, 'width'),
        height: intFlag(values.height, 'height'),
      },
      { onStep: ({ step, totalSteps }) => void process.stderr.write(`\rstep ${step}/${totalSteps}`) },
    );
    process.stderr.write('\n');
    await writeFile(out, await encodePng(result.rgba, result.width, result.height, { parameters: formatParameters(result.parameters) }));
    if (values.raw) await writeFile(values.raw, bytesOf(result.image));
    const { timings } = result;
    console.error(`${out}: ${result.width}x${result.height}, ${result.parameters.sampler} ${result.parameters.steps} steps, seed ${result.parameters.seed}; ` +
      `${(timings.denoiseMs / timings.stepMs.length).toFixed(0)} ms/step, total ${(timings.totalMs / 1000).toFixed(2)} s`);
  } finally {
    await pipeline.dispose();
  }
}

async function readFloat32(path: string): Promise<Float32Array> {
  const bytes = await readFile(path);
  if (bytes.byteLength % 4 !== 0) throw new InvalidRequestError(`${path} is not raw float32 data (${bytes.byteLength} bytes is not a multiple of 4).`);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function bytesOf(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
