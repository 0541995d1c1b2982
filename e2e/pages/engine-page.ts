/**
 * Test page for the engine itself: LocalEngine on onnxruntime-web (WebGPU) and the weight store, in the
 * page, as workers/engine.worker.ts wires them. `engineTest.job` runs a surface's job (load, generate) and
 * answers with the image's bytes or the error's {name, message}; `destroyDevice` destroys
 * onnxruntime-web's WebGPU device (`ort.env.webgpu.device`) when the job reaches a given step.
 */
import { webRuntime } from '../../src/browser/ort-web.js';
import type { EngineProgress } from '../../src/engine/events.js';
import { LocalEngine } from '../../src/engine/local-engine.js';
import type { ModelSpec } from '../../src/engine/model/model-spec.js';
import type { GenerationRequest } from '../../src/engine/request/request.js';
import { WeightStore } from '../../src/store/weight-store.js';

export interface JobReply {
  ok: boolean;
  error?: { name: string; message: string };
  rgba?: number[];
  /** Every progress stage the job reported, in order (download, done, load, encode, denoise, ...). */
  stages: string[];
  fromCache?: boolean;
}

declare global {
  interface Window {
    engineTest: { job(spec: ModelSpec, request: GenerationRequest, destroyAtStep?: number): Promise<JobReply> };
  }
}

const ort = webRuntime(import.meta.env.BASE_URL);
const engine = new LocalEngine({ ort, store: new WeightStore({ dbName: `engine-page-${Date.now()}` }) });

window.engineTest = {
  async job(spec, request, destroyAtStep) {
    const stages: string[] = [];
    let fromCache: boolean | undefined;
    const onProgress = (p: EngineProgress) => {
      stages.push(p.stage);
      if (p.stage === 'done') fromCache = p.fromCache;
      if (p.stage === 'denoise' && p.step === destroyAtStep)
        (ort as unknown as { env: { webgpu: { device: { destroy(): void } } } }).env.webgpu.device.destroy();
    };
    try {
      await engine.load(spec, { backend: 'webgpu', onProgress });
      const result = await engine.generate(request, { onProgress });
      return { ok: true, rgba: Array.from(result.rgba), stages, fromCache };
    } catch (error) {
      return { ok: false, error: { name: (error as Error).name, message: (error as Error).message }, stages, fromCache };
    }
  },
};
