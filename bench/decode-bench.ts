/**
 * Decode and preview benchmark: the full VAE decoder against the tiny autoencoder's (taesd_decoder/), and what
 * a step preview costs inside the sampler loop, on a model folder that has taesd_decoder/.
 *
 *   npx tsx bench/decode-bench.ts --model DIR [--runtime wasm|node-cpu|node-webgpu] [--repeat 10] [--steps 10]
 *
 * 1. Decode: the pipeline's own decode (latents -> [0, 1] image + RGBA) of the same latents, `--repeat` times
 *    each, full and tiny interleaved (a loaded machine slows both alike); medians in ms. The cheap latent
 *    preview (core/latent-preview.ts) too.
 * 2. The loop: the pipeline with previews as LocalEngine makes them: none / latent / tiny at every step (previewBudget Infinity) /
 *    tiny within the default budget (10% of the loop's time), `--steps` PNDM steps, interleaved, `--rounds` times
 *    each: the denoise time's median per setting, what a preview adds per step, and how many the budget made.
 * Prints a table and one `BENCH_JSON {...}` line. Numbers: README *Speed: the tiny decoder*.
 */
import { parseArgs } from 'node:util';
import { latentToRgba } from '../src/core/latent-preview.js';
import { StableDiffusionPipeline } from '../src/engine/pipeline.js';
import type { StepProgress } from '../src/engine/events.js';
import { PREVIEW_BUDGET, PreviewBudget } from '../src/engine/preview-choice.js';
import type { OrtModule, OrtSessionOptions } from '../src/engine/runtime/ort.js';
import { DirectoryModelSource } from '../src/node/directory-source.js';
import { assertNativeWebGpu, nativeRuntime } from '../src/node/ort-native.js';
import { runMain } from '../src/node/run-main.js';
import { median } from './lib/report.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    runtime: { type: 'string', default: 'wasm' },
    repeat: { type: 'string', default: '10' },
    steps: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    width: { type: 'string' },
    height: { type: 'string' },
  },
});

async function runtimeFor(name: string): Promise<{ ort: OrtModule; executionProviders: OrtSessionOptions['executionProviders']; label: string }> {
  if (name === 'wasm') {
    const { wasmRuntime } = await import('../src/node/ort-node.js');
    return { ort: wasmRuntime(), executionProviders: ['wasm'], label: 'onnxruntime-web wasm' };
  }
  const provider = name === 'node-webgpu' ? 'webgpu' : 'cpu';
  const native = nativeRuntime(provider);
  if (provider === 'webgpu') await assertNativeWebGpu(native.ort);
  return { ort: native.ort, executionProviders: native.executionProviders, label: `onnxruntime-node ${native.version} ${provider}` };
}

async function timed(run: () => Promise<unknown> | unknown): Promise<number> {
  const t = performance.now();
  await run();
  return performance.now() - t;
}

async function main(): Promise<void> {
  if (!values.model) throw new Error('--model DIR is required (a folder with taesd_decoder/)');
  const repeat = Number(values.repeat);
  const steps = Number(values.steps);
  const rounds = Number(values.rounds);
  const { ort, executionProviders, label } = await runtimeFor(values.runtime!);
  const source = new DirectoryModelSource(values.model);

  // 1. Decode alone.
  const pipeline = await StableDiffusionPipeline.load(ort, source, { executionProviders });
  const g = pipeline.geometry;
  const width = Number(values.width ?? g.defaultWidth);
  const height = Number(values.height ?? g.defaultHeight);
  const request = { prompt: 'a red circle on a blue background', seed: 0, numInferenceSteps: steps, width, height };
  const { latents } = await pipeline.generate({ ...request, numInferenceSteps: 2 });
  const [lw, lh] = [width / g.vaeScaleFactor, height / g.vaeScaleFactor];
  await pipeline.decode(latents, width, height, 'tiny'); // loads the session
  const full: number[] = [];
  const tiny: number[] = [];
  const cheap: number[] = [];
  for (let i = 0; i < repeat; i++) {
    full.push(await timed(() => pipeline.decode(latents, width, height, 'full')));
    tiny.push(await timed(() => pipeline.decode(latents, width, height, 'tiny')));
    cheap.push(await timed(() => latentToRgba(latents, lw, lh)));
  }

  // 2. The sampler loop with each preview setting, interleaved: the pipeline's onStep doing what LocalEngine's
  //    previews do (preview-choice.ts's budget included), so every runtime here can run it.
  const settings = ['none', 'latent', 'tiny', 'budget'] as const;
  type Setting = (typeof settings)[number];
  const denoise: Record<Setting, number[]> = { none: [], latent: [], tiny: [], budget: [] };
  const budgetSteps: number[][] = [];
  const stepMs: number[] = [];
  const previewer = (setting: Setting, seen: number[]) => {
    const budget = new PreviewBudget(setting === 'budget' ? PREVIEW_BUDGET : Infinity, performance.now());
    return async ({ step, latents: x }: StepProgress) => {
      if (setting === 'latent') return void latentToRgba(x, lw, lh);
      if (!budget.allows(performance.now())) return;
      const t = performance.now();
      await pipeline.decode(x, width, height, 'tiny');
      budget.spent(performance.now() - t);
      seen.push(step);
    };
  };
  await pipeline.generate({ ...request, numInferenceSteps: 2 }, { onStep: previewer('tiny', []) }); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const setting of settings) {
      const seen: number[] = [];
      const result = await pipeline.generate(request, setting === 'none' ? {} : { onStep: previewer(setting, seen) });
      denoise[setting].push(result.timings.denoiseMs);
      if (setting === 'none') stepMs.push(...result.timings.stepMs);
      if (setting === 'budget') budgetSteps.push(seen);
    }
  }
  await pipeline.dispose();

  const m = {
    fullDecodeMs: median(full),
    tinyDecodeMs: median(tiny),
    latentPreviewMs: median(cheap),
    stepMs: median(stepMs),
    denoiseMs: Object.fromEntries(settings.map((s) => [s, median(denoise[s])])) as Record<Setting, number>,
    budgetSteps,
  };
  const perStep = (s: Setting) => (m.denoiseMs[s] - m.denoiseMs.none) / steps;
  const share = (s: Setting) => `${((100 * (m.denoiseMs[s] - m.denoiseMs.none)) / m.denoiseMs.none).toFixed(1)}%`;
  console.log(`${label}, ${values.model}, ${width}x${height}, ${steps} PNDM steps (CFG), ${repeat} decodes, ${rounds} rounds`);
  console.log(`full VAE decode     ${m.fullDecodeMs.toFixed(1)} ms`);
  console.log(`tiny decode         ${m.tinyDecodeMs.toFixed(1)} ms (${(m.fullDecodeMs / m.tinyDecodeMs).toFixed(1)}x faster)`);
  console.log(`latent preview      ${m.latentPreviewMs.toFixed(2)} ms`);
  console.log(`UNet call (median)  ${m.stepMs.toFixed(1)} ms`);
  console.log(
    `loop ${steps} steps: none ${m.denoiseMs.none.toFixed(0)} ms, latent ${m.denoiseMs.latent.toFixed(0)} ms, tiny every step ${m.denoiseMs.tiny.toFixed(0)} ms, tiny within the budget ${m.denoiseMs.budget.toFixed(0)} ms`,
  );
  console.log(
    `preview cost per step: latent ${perStep('latent').toFixed(1)} ms (${share('latent')}), tiny every step ${perStep('tiny').toFixed(1)} ms (${share('tiny')}), budget ${share('budget')} (previews at steps ${budgetSteps.map((s) => s.join(' ')).join(' | ')})`,
  );
  console.log(`BENCH_JSON ${JSON.stringify({ runtime: label, model: values.model, width, height, steps, ...m })}`);
}

runMain(main);
