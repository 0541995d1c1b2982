/**
 * tools/prepare_model.py's portable target against diffusers: the tiny fixture's UNet as that tool
 * wrote it (fixtures/tiny-sd-portable: plain fp32 graph, weights split over three external files),
 * with the text encoder, VAE decoder and tokenizer of fixtures/tiny-sd-fp32 (the same weights), run
 * on onnxruntime-web's wasm backend and on onnxruntime-node's CPU EP.
 *
 * Reference: fixtures/refs (diffusers StableDiffusionPipeline, torch fp32 CPU, the tiny fixture's
 * weights; ../shared/tools/make_fixtures.py). Tolerances as for the fp32 fixture (pipeline.test.ts):
 * final latents relative L2 <= 1e-4, image max abs <= 2e-3.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeRuntime } from '../../node/ort-native.js';
import { wasmRuntime } from '../../node/ort-node.js';
import { readF32, readJson, resultParity } from '../../testing/reference-data.js';
import { readModelPart } from '../model/model-folder.js';
import { tinyWithUnetFrom } from '../../testing/unet-folder.js';
import type { OrtModule } from './ort.js';
import { StableDiffusionPipeline } from '../pipeline.js';
import { caseRequest, type DiffusersCase } from '../../testing/diffusers-case.js';

interface ArrayRef {
  file: string;
}
interface Manifest {
  latents: ArrayRef;
  cases: (DiffusersCase & { image: ArrayRef; final_latents: ArrayRef })[];
}
const manifest = readJson<Manifest>('fixtures/refs/manifest.json');
const ref = (file: string) => readF32(`fixtures/${file}`);

const portableTiny = () => tinyWithUnetFrom('tiny-sd-portable');

it('the portable UNet has no fused operators and keeps its weights in the three files its graph names', async () => {
  const report = readJson<{ target: string; parts: { unet: { ops: Record<string, number> } } }>('fixtures/tiny-sd-portable/prepare_model.json');
  expect(report.target).toBe('portable');
  expect(Object.keys(report.parts.unet.ops).filter((op) => op.includes('.'))).toEqual([]); // no com.microsoft.*
  const part = await readModelPart(portableTiny(), 'unet');
  expect(part.externalData.map((e) => e.path).sort()).toEqual(['weights-2.pb', 'weights-3.pb', 'weights.pb']);
});

// Every reference case on wasm; two (a multistep and a single-step sampler) on the CPU EP.
const runtimes: [string, () => OrtModule, 'wasm' | 'cpu', Manifest['cases']][] = [
  ['onnxruntime-web wasm', wasmRuntime, 'wasm', manifest.cases],
  ['onnxruntime-node CPU EP', () => nativeRuntime('cpu').ort, 'cpu', manifest.cases.filter((c) => c.scheduler === 'pndm' || c.scheduler === 'euler')],
];

describe.each(runtimes)('tiny-sd portable target on %s against diffusers', (label, runtime, provider, cases) => {
  let pipeline: StableDiffusionPipeline;
  beforeAll(async () => {
    pipeline = await StableDiffusionPipeline.load(runtime(), portableTiny(), { executionProviders: [provider] });
  });
  afterAll(() => pipeline?.dispose());

  it.each(cases.map((c) => [`${c.scheduler} ${c.steps} steps, cfg ${c.guidance}`, c] as const))(
    'txt2img %s: latents rel L2 <= 1e-4, image max abs <= 2e-3',
    async (_, c) => {
      const result = await pipeline.generate({
        ...caseRequest(c),
        latents: ref(manifest.latents.file),
        width: 128,
        height: 128,
      });
      const error = resultParity(`${label} ${c.scheduler}`, result, ref(c.final_latents.file), ref(c.image.file));
      expect(error.latents).toBeLessThanOrEqual(1e-4);
      expect(error.image).toBeLessThanOrEqual(2e-3);
    },
  );
});
