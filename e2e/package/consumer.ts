// Type-checked (never run) against the installed package by e2e/package.e2e.ts, with tsc's NodeNext
// resolution (package.json `exports` and their `types`): a page using the element and a Node
// script using the engine, as a developer would write them. The @ts-expect-error lines fail the
// check if the types were missing or `any`.
import { defineSdTextToImage, SdTextToImageElement, type SdCompleteDetail, type SdProgressDetail } from 'sd-web/element';
import 'sd-web/element/define';
import { InvalidRequestError, SCHEDULER_NAMES, StableDiffusionPipeline, type GenerationRequest, type GenerationResult, type SchedulerName } from 'sd-web/engine';
import { bundledModelDir, DirectoryModelSource, wasmRuntime } from 'sd-web/node';

export function page(): void {
  const Element: typeof SdTextToImageElement = defineSdTextToImage({ assetsUrl: '/sd-web/' });
  const element = document.createElement('sd-text-to-image');
  const same: InstanceType<typeof Element> = element;
  same.steps = 20;
  element.seed = null;
  element.preview = true;
  // @ts-expect-error steps is number | null
  element.steps = 'twenty';
  element.addEventListener('sd-progress', (event) => {
    const detail: SdProgressDetail = event.detail;
    console.log(detail.stage, detail.step, detail.total);
  });
  element.addEventListener('sd-complete', (event) => {
    const detail: SdCompleteDetail = event.detail;
    console.log(detail.blob.size, detail.request.seed);
    // @ts-expect-error the detail has no such field
    console.log(event.detail.nonsense);
  });
  void element.generate().then((detail) => detail.width * detail.height);
  element.cancel();
}

export async function node(prompt: string): Promise<GenerationResult> {
  const scheduler: SchedulerName = SCHEDULER_NAMES[0];
  const pipeline = await StableDiffusionPipeline.load(wasmRuntime(), new DirectoryModelSource(bundledModelDir()), { executionProviders: ['wasm'] });
  const request: GenerationRequest = { prompt, scheduler, numInferenceSteps: 2, guidanceScale: 7.5, seed: 1 };
  // @ts-expect-error a request has no such field
  const wrong: GenerationRequest = { prompt, stepz: 2 };
  void wrong;
  try {
    return await pipeline.generate(request);
  } catch (error) {
    if (error instanceof InvalidRequestError) console.error(error.message);
    throw error;
  } finally {
    await pipeline.dispose();
  }
}
