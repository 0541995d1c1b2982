/**
 * Pipeline benchmark: the engine's own StableDiffusionPipeline (tokenizer, text encoder, the
 * sampler loop with CFG, VAE decode) on a model folder, per stage, and optionally PyTorch/diffusers
 * on the same machine in the same command (tools/bench_diffusers.py) with engine/PyTorch ratios.
 *
 *   npm run bench -- --model DIR [--runtime wasm|node-webgpu|node-cpu] [--steps 25]
 *                    [--width 512 --height 512] [--warmup 1] [--compare-torch] ...
 *
 * Prints a table and one `BENCH_JSON {...}` line. Recipes and numbers: bench/README.md.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { InvalidRequestError } from '../src/core/errors.js';
import type { SchedulerName } from '../src/core/schedulers/scheduler.js';
import { openModelFolder, type ModelPart } from '../src/engine/model/model-folder.js';
import type { OrtModule, OrtSessionOptions } from '../src/engine/runtime/ort.js';
import { StableDiffusionPipeline } from '../src/engine/pipeline.js';
import { DirectoryModelSource } from '../src/node/directory-source.js';
import { assertNativeWebGpu, nativeRuntime } from '../src/node/ort-native.js';
import { GpuMemorySampler } from './lib/gpu-memory.js';
import { freeDimensionOverrides, graphInputs } from './lib/onnx-graph-inputs.js';
import { median, sum, table, type Row } from './lib/report.js';
import { TimedRuntime, type Part } from './lib/timed-runtime.js';
import { runTorchBench, type TorchResult } from './lib/torch-compare.js';
import { runMain } from '../src/node/run-main.js';
import { maxAbsDiff, relativeL2 } from '../src/testing/reference-data.js';

const USAGE = `Usage: npm run bench -- --model DIR [options]
  --runtime R           wasm (onnxruntime-web, default) | node-webgpu | node-cpu (onnxruntime-node)
  --steps N             sampler steps (default 25; >= 10 for a meaningful median)
  --width W --height H  image size (default: the model's, 512x512 for SD v1.4)
  --warmup N            untimed warm-up generations of 3 steps (default 1)
  --scheduler NAME      default pndm;  --guidance F (7.5);  --seed N (0)
  --prompt TEXT         --negative-prompt TEXT
  --latents-in FILE     initial latents, raw float32 (1,4,h/8,w/8), instead of --seed
  --latents-out FILE    write the final latents (raw float32), e.g. for tools/check_parity.py
  --image-out FILE      write the decoded image (raw float32 NCHW in [0, 1])
  --static-dims         pin every symbolic input dim with freeDimensionOverrides (read from the ONNX files)
  --no-resident         do not keep per-generation UNet inputs on the GPU (to measure what it saves)
  --ort-verbose         ORT verbose logs (node placement per EP)
  --webgpu-option K=V   a WebGPU EP option (repeatable), e.g. validationMode=disabled, preferredLayout=NHWC
  --session-config K=V  an ORT session config entry for every model (repeatable)
  --profile PREFIX      ORT profiling of the UNet session (PREFIX_<date>.json, written when the session is
                        released; summarise it with bench/profile-summary.ts)
  --json-out FILE       also write the JSON result to FILE
  --compare-torch       run tools/bench_diffusers.py (PyTorch + diffusers) here too, same request
    --torch-checkpoint DIR  a saved diffusers checkpoint (default: the same architecture, random weights)
    --torch-device D        cuda | cpu (default: cuda when available)
    --torch-dtype T         fp16 (default) | fp32
    --torch-latents-out F   final latents of the PyTorch run
    --torch-image-out F     its decoded image (float32 NCHW in [0, 1])
                            With both runs done, parity is printed: final latents relative L2, image max abs diff
    --python CMD            default python3`;

const FLAGS = {
  model: { type: 'string' },
  runtime: { type: 'string', default: 'wasm' },
  steps: { type: 'string', default: '25' },
  width: { type: 'string' },
  height: { type: 'string' },
  warmup: { type: 'string', default: '1' },
  scheduler: { type: 'string', default: 'pndm' },
  guidance: { type: 'string', default: '7.5' },
  seed: { type: 'string', default: '0' },
  prompt: { type: 'string', default: 'a photograph of an astronaut riding a horse' },
  'negative-prompt': { type: 'string', default: '' },
  'latents-in': { type: 'string' },
  'latents-out': { type: 'string' },
  'image-out': { type: 'string' },
  'static-dims': { type: 'boolean', default: false },
  'no-resident': { type: 'boolean', default: false },
  'ort-verbose': { type: 'boolean', default: false },
  'webgpu-option': { type: 'string', multiple: true },
  'session-config': { type: 'string', multiple: true },
  'json-out': { type: 'string' },
  profile: { type: 'string' },
  'compare-torch': { type: 'boolean', default: false },
  'torch-checkpoint': { type: 'string' },
  'torch-device': { type: 'string' },
  'torch-dtype': { type: 'string', default: 'fp16' },
  'torch-latents-out': { type: 'string' },
  'torch-image-out': { type: 'string' },
  python: { type: 'string', default: 'python3' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Runtime = 'wasm' | 'node-webgpu' | 'node-cpu';

function int(value: string, name: string, min: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min) throw new InvalidRequestError(`--${name} must be an integer >= ${min} (got "${value}").`);
  return Number(value);
}

/** K=V pairs; "true"/"false" become booleans (the WebGPU EP's boolean options want them). */
function keyValues(pairs: string[], flag: string, booleans: boolean): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new InvalidRequestError(`--${flag} wants KEY=VALUE (got "${pair}").`);
    const value = pair.slice(at + 1);
    out[pair.slice(0, at)] = booleans && (value === 'true' || value === 'false') ? value === 'true' : value;
  }
  return out;
}

async function loadRuntime(runtime: Runtime): Promise<{ ort: OrtModule; executionProviders: OrtSessionOptions['executionProviders']; label: string }> {
  if (runtime === 'wasm') {
    // Imported only here, so that the GPU bundle (bench/build-gpu-bundle.sh) needs no onnxruntime-web.
    const { wasmRuntime } = await import('../src/node/ort-node.js');
    return { ort: wasmRuntime(), executionProviders: ['wasm'], label: 'onnxruntime-web wasm' };
  }
  const provider = runtime === 'node-webgpu' ? 'webgpu' : 'cpu';
  const native = nativeRuntime(provider);
  if (provider === 'webgpu') await assertNativeWebGpu(native.ort);
  return { ort: native.ort, executionProviders: native.executionProviders, label: `onnxruntime-node ${native.version} ${provider}` };
}

/** Which device WebGPU runs on, as far as the environment tells. */
function deviceLabel(runtime: Runtime, gpuName: string | null): string {
  if (runtime !== 'node-webgpu') return `CPU (${process.arch})`;
  const icd = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES ?? '';
  if (/swiftshader/i.test(icd)) return 'SwiftShader (software Vulkan)';
  return gpuName ?? 'Vulkan device';
}

/** freeDimensionOverrides per part, from the symbolic dims in each ONNX file and the sizes this request feeds. */
async function staticDims(
  dir: string,
  batch: number,
  latentHeight: number,
  latentWidth: number,
): Promise<Partial<Record<ModelPart, Partial<OrtSessionOptions>>>> {
  const expected: Record<'text_encoder' | 'unet' | 'vae_decoder', Record<string, number[]>> = {
    text_encoder: { input_ids: [1, 77] },
    unet: { sample: [batch, 4, latentHeight, latentWidth], timestep: [batch], encoder_hidden_states: [batch, 77] },
    vae_decoder: { latent_sample: [1, 4, latentHeight, latentWidth] },
  };
  const options: Partial<Record<ModelPart, Partial<OrtSessionOptions>>> = {};
  for (const [part, shapes] of Object.entries(expected) as [keyof typeof expected, Record<string, number[]>][]) {
    const { overrides, conflicts } = freeDimensionOverrides(graphInputs(await readFile(`${dir}/${part}/model.onnx`)), shapes);
    if (conflicts.length) console.error(`${part}: dims ${conflicts.join(', ')} left free (their sizes differ between inputs)`);
    console.error(`${part}: freeDimensionOverrides ${JSON.stringify(overrides)}`);
    options[part] = { freeDimensionOverrides: overrides };
  }
  return options;
}

async function readFloat32(path: string): Promise<Float32Array> {
  const bytes = await readFile(path);
  if (bytes.byteLength % 4 !== 0) throw new InvalidRequestError(`${path} is not raw float32 data.`);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

async function main(argv: string[]): Promise<void> {
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof FLAGS; strict: true }>>['values'];
  try {
    ({ values } = parseArgs({ args: argv, options: FLAGS, strict: true }));
  } catch (error) {
    throw new InvalidRequestError(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (values.help) return console.log(USAGE);
  if (!values.model) throw new InvalidRequestError(`--model is required.\n\n${USAGE}`);
  const runtime = values.runtime as Runtime;
  if (!['wasm', 'node-webgpu', 'node-cpu'].includes(runtime))
    throw new InvalidRequestError(`--runtime must be wasm, node-webgpu or node-cpu (got "${runtime}").`);
  const steps = int(values.steps, 'steps', 1);
  const warmup = int(values.warmup, 'warmup', 0);
  const guidance = Number(values.guidance);
  const seed = int(values.seed, 'seed', 0);
  if (!Number.isFinite(guidance)) throw new InvalidRequestError(`--guidance must be a number.`);
  if (values['torch-dtype'] !== 'fp16' && values['torch-dtype'] !== 'fp32') throw new InvalidRequestError('--torch-dtype must be fp16 or fp32.');
  if (steps < 10) console.error(`note: ${steps} steps; the per-step median wants >= 10.`);

  // The size: as asked, else the UNet's static size, else unet/config.json's sample_size, else SD v1.4's 512.
  const source = new DirectoryModelSource(values.model);
  const folder = await openModelFolder(source);
  const [, , h, w] = graphInputs(await source.readBytes('unet/model.onnx')).find((i) => i.name === 'sample')?.dims ?? [];
  const side = (folder.unetSampleSize ?? 64) * 8;
  const width = values.width ? int(values.width, 'width', 8) : typeof w === 'number' ? w * 8 : side;
  const height = values.height ? int(values.height, 'height', 8) : typeof h === 'number' ? h * 8 : side;
  const batch = guidance > 1 ? 2 : 1;

  const loaded = await loadRuntime(runtime);
  const { ort } = loaded;
  let { executionProviders, label } = loaded;
  const webgpuOptions = keyValues(values['webgpu-option'] ?? [], 'webgpu-option', true);
  if (Object.keys(webgpuOptions).length) {
    if (runtime !== 'node-webgpu') throw new InvalidRequestError('--webgpu-option needs --runtime node-webgpu.');
    executionProviders = [{ name: 'webgpu', ...webgpuOptions } as NonNullable<OrtSessionOptions['executionProviders']>[number]];
    label += ` ${JSON.stringify(webgpuOptions)}`;
  }
  const timed = new TimedRuntime(ort);
  const sessionOptions = values['static-dims'] ? await staticDims(source.root, batch, height / 8, width / 8) : {};
  const sessionConfig = keyValues(values['session-config'] ?? [], 'session-config', false);
  if (Object.keys(sessionConfig).length) {
    for (const part of ['text_encoder', 'unet', 'vae_decoder'] as const) sessionOptions[part] = { ...sessionOptions[part], extra: sessionConfig };
    label += ` config ${JSON.stringify(sessionConfig)}`;
  }
  if (values['ort-verbose']) {
    for (const part of ['text_encoder', 'unet', 'vae_decoder'] as const)
      sessionOptions[part] = { ...sessionOptions[part], logSeverityLevel: 0, logVerbosityLevel: 0 };
  }
  if (values.profile) {
    sessionOptions.unet = { ...sessionOptions.unet, enableProfiling: true, profileFilePrefix: values.profile };
    label += ' profiled';
  }
  const gpuMemory = GpuMemorySampler.start();
  const device = deviceLabel(runtime, gpuMemory.name);
  console.error(`${values.model}: ${label} on ${device}, ${width}x${height}, ${values.scheduler} ${steps} steps, CFG ${guidance}, warm-up ${warmup}`);

  const tLoad = performance.now();
  const pipeline = await StableDiffusionPipeline.load(timed.ort, source, {
    executionProviders,
    sessionOptions,
    ...(values['no-resident'] ? { gpuResidentInputs: false } : {}),
  });
  const loadMs = performance.now() - tLoad;

  const latents = values['latents-in'] ? await readFloat32(values['latents-in']) : undefined;
  const request = {
    prompt: values.prompt,
    negativePrompt: values['negative-prompt'],
    scheduler: values.scheduler as SchedulerName,
    numInferenceSteps: steps,
    guidanceScale: guidance,
    width,
    height,
    ...(latents ? { latents } : { seed }),
  };
  let result: Awaited<ReturnType<typeof pipeline.generate>>;
  try {
    for (let i = 0; i < warmup; i++) await pipeline.generate({ ...request, numInferenceSteps: Math.min(steps, 3) });
    timed.resetRuns();
    result = await pipeline.generate(request);
    if (values.profile) {
      for (const { part, session } of timed.sessions) {
        if (part === 'unet')
          console.error(`profile written: ${(session as unknown as { endProfiling(): string | undefined }).endProfiling() ?? `${values.profile}_*.json`}`);
      }
    }
  } finally {
    await pipeline.dispose();
  }
  const gpu = gpuMemory.stop();
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  if (values['latents-out'])
    await writeFile(values['latents-out'], new Uint8Array(result.latents.buffer, result.latents.byteOffset, result.latents.byteLength));
  if (values['image-out']) await writeFile(values['image-out'], new Uint8Array(result.image.buffer, result.image.byteOffset, result.image.byteLength));

  const created = (part: Part) => timed.timings.create.filter((c) => c.part === part).reduce((a, c) => a + c.ms, 0);
  const { timings } = result;
  const runs = timed.timings.runs;
  const engine = {
    sessionCreateMs: { text_encoder: created('text_encoder'), unet: created('unet'), vae_decoder: created('vae_decoder') },
    loadMs,
    textEncoderMs: timings.textEncoderMs,
    textEncoderRunMs: runs.text_encoder,
    stepMs: timings.stepMs,
    stepMedianMs: median(timings.stepMs),
    stepMinMs: Math.min(...timings.stepMs),
    unetRunMs: runs.unet,
    unetRunMedianMs: median(runs.unet),
    unetRunMinMs: Math.min(...runs.unet),
    uploads: runs.uploader.length,
    vaeDecodeMs: timings.vaeDecodeMs,
    totalMs: timings.totalMs,
    peakRssMiB,
    gpuMemory: gpu,
  };

  let torch: TorchResult | null = null;
  let torchSkipped: string | null = null;
  let parity: Parity | null = null;
  if (values['compare-torch']) {
    const scratch = await mkdtemp(join(tmpdir(), 'sd-bench-'));
    const torchLatents = values['torch-latents-out'] ?? join(scratch, 'torch-latents.f32');
    const torchImage = values['torch-image-out'] ?? join(scratch, 'torch-image.f32');
    console.error('PyTorch (diffusers) on the same request: tools/bench_diffusers.py');
    const outcome = await runTorchBench({
      python: values.python,
      modelDir: source.root,
      checkpoint: values['torch-checkpoint'],
      device: values['torch-device'],
      dtype: values['torch-dtype'],
      steps,
      width,
      height,
      warmup,
      guidance,
      scheduler: values.scheduler,
      prompt: values.prompt,
      negativePrompt: values['negative-prompt'],
      seed,
      latentsIn: values['latents-in'],
      latentsOut: torchLatents,
      imageOut: torchImage,
    });
    if (outcome.ok) {
      torch = outcome.result;
      parity = compareWithTorch(result, await readFloat32(torchLatents), await readFloat32(torchImage));
    } else {
      torchSkipped = outcome.reason;
    }
    await rm(scratch, { recursive: true, force: true });
  }

  const rows: Row[] = [
    { stage: 'session: text_encoder', engine: engine.sessionCreateMs.text_encoder, unit: 'ms' },
    { stage: 'session: unet', engine: engine.sessionCreateMs.unet, unit: 'ms' },
    { stage: 'session: vae_decoder', engine: engine.sessionCreateMs.vae_decoder, unit: 'ms' },
    { stage: 'load total (files + sessions | torch: model load)', engine: loadMs, torch: torch?.load_ms, unit: 'ms' },
    { stage: `text encoder (${batch} prompt${batch > 1 ? 's' : ''})`, engine: engine.textEncoderMs, torch: torch?.text_encoder_ms, unit: 'ms' },
    {
      stage: `step, median of ${engine.stepMs.length} (UNet batch ${batch}${batch === 2 ? ' + CFG' : ''} + scheduler)`,
      engine: engine.stepMedianMs,
      torch: torch ? median(torch.step_ms) : null,
      unit: 'ms',
    },
    { stage: 'step, min', engine: engine.stepMinMs, torch: torch ? Math.min(...torch.step_ms) : null, unit: 'ms' },
    { stage: 'UNet session.run only, median', engine: engine.unetRunMedianMs, unit: 'ms' },
    { stage: 'VAE decode', engine: engine.vaeDecodeMs, torch: torch?.vae_decode_ms, unit: 'ms' },
    { stage: `total, ${steps} steps (text + loop + decode)`, engine: engine.totalMs, torch: torch?.total_ms, unit: 'ms' },
    { stage: 'peak RSS (process)', engine: peakRssMiB, torch: torch?.peak_rss_mib, unit: 'MiB' },
    { stage: 'peak GPU memory (nvidia-smi | torch allocator)', engine: gpu?.deltaMiB ?? null, torch: torch?.peak_gpu_mem_mib, unit: 'MiB' },
  ];
  console.log(
    `\n${values.model} | ${label} | ${device} | ${width}x${height} | ${values.scheduler} ${steps} steps | CFG ${guidance} | ${pipeline.floatType}` +
      (torch ? ` | PyTorch ${torch.torch} ${torch.device} ${torch.dtype} (${torch.weights})` : ''),
  );
  console.log(table(rows, torch !== null));
  if (torchSkipped) console.log(`\nPyTorch comparison skipped: ${torchSkipped}.`);
  if (parity) {
    console.log(
      `\nparity with PyTorch: final latents relative L2 ${parity.latentsRelativeL2.toExponential(2)}, max abs ${parity.latentsMaxAbs.toExponential(2)}; ` +
        `image max abs ${parity.imageMaxAbs.toExponential(2)}`,
    );
  }
  const ratios = torch
    ? {
        textEncoder: engine.textEncoderMs / torch.text_encoder_ms,
        stepMedian: engine.stepMedianMs / median(torch.step_ms),
        vaeDecode: engine.vaeDecodeMs / torch.vae_decode_ms,
        total: engine.totalMs / torch.total_ms,
      }
    : null;
  const json = {
    model: source.root,
    runtime,
    runtimeLabel: label,
    device,
    floatType: pipeline.floatType,
    width,
    height,
    steps,
    scheduler: values.scheduler,
    guidance,
    warmup,
    staticDims: values['static-dims'],
    gpuResidentInputs: !values['no-resident'],
    webgpuOptions,
    sessionConfig,
    engine: { ...engine, unetRunTotalMs: sum(runs.unet) },
    torch,
    torchSkipped,
    ratios,
    parity,
  };
  console.log(`BENCH_JSON ${JSON.stringify(json)}`);
  if (values['json-out']) await writeFile(values['json-out'], JSON.stringify(json, null, 2));
}

interface Parity {
  latentsRelativeL2: number;
  latentsMaxAbs: number;
  imageMaxAbs: number;
}

/** The engine's final latents and image against PyTorch's (the reference): ||e - t|| / ||t||, max |e - t|. */
function compareWithTorch(engine: { latents: Float32Array; image: Float32Array }, latents: Float32Array, image: Float32Array): Parity {
  if (latents.length !== engine.latents.length || image.length !== engine.image.length) {
    throw new InvalidRequestError(
      `PyTorch wrote ${latents.length} latents and ${image.length} pixels for the engine's ${engine.latents.length} and ${engine.image.length}: not the same request.`,
    );
  }
  return {
    latentsRelativeL2: relativeL2(engine.latents, latents),
    latentsMaxAbs: maxAbsDiff(engine.latents, latents),
    imageMaxAbs: maxAbsDiff(engine.image, image),
  };
}

runMain(() => main(process.argv.slice(2)));
