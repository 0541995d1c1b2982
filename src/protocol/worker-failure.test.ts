/**
 * Issue 25 item 5: a worker that cannot start (a wrong assets URL) or dies must not leave its callers
 * waiting forever. A fake Worker stands in for the browser's: it records what it is sent and fires the
 * events a real one does (`error` for a script that does not load or an uncaught failure, `messageerror`).
 * Every pending call fails with one EngineWorkerError, and the next call starts a fresh worker. Through the
 * element's SharedEngine, the job queued behind the failed one runs on the fresh worker.
 */
import { describe, expect, it } from 'vitest';
import { CancelledError, EngineWorkerError } from '../core/errors.js';
import type { LoadedModel } from '../engine/engine.js';
import { SD_V1_GEOMETRY } from '../engine/model/model-geometry.js';
import { SharedEngine } from '../element/shared-engine.js';
import type { FromWorker, ToWorker } from './messages.js';
import { workerEngine, type WorkerLike } from './worker-engine.js';

const spec = { id: 'shapes-sd', urls: { fp32: 'models/shapes-sd-fp32/' } };
const loaded: LoadedModel = {
  id: 'shapes-sd',
  name: 'shapes-sd-fp32',
  url: spec.urls.fp32,
  precision: 'fp32',
  backend: 'wasm',
  backendReason: null,
  geometry: SD_V1_GEOMETRY,
  hasVaeEncoder: true,
  recommended: null,
  safetyChecker: false,
};

/** A Worker whose script "loads" or not: a broken one answers nothing; a working one answers every request. */
class FakeWorker implements WorkerLike {
  readonly sent: ToWorker[] = [];
  terminated = false;
  readonly #listeners = new Map<string, ((event: MessageEvent<FromWorker> | ErrorEvent) => void)[]>();

  constructor(readonly works: boolean) {}

  addEventListener(type: 'message' | 'error' | 'messageerror', listener: (event: MessageEvent<FromWorker> | ErrorEvent) => void): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  postMessage(message: ToWorker): void {
    this.sent.push(message);
    if (!this.works || message.type === 'cancel') return;
    const result =
      message.type === 'load'
        ? loaded
        : message.type === 'generate'
          ? {
              width: 8,
              height: 8,
              rgba: new Uint8ClampedArray(256),
              png: new Uint8Array(),
              request: message.request,
              model: loaded.name,
              timings: { textEncoderMs: 0, denoiseMs: 0, vaeDecodeMs: 0, totalMs: 0, stepMs: [] },
            }
          : null;
    queueMicrotask(() => this.fire('message', { data: { id: message.id, type: 'result', result } } as MessageEvent<FromWorker>));
  }

  terminate(): void {
    this.terminated = true;
  }

  fire(type: string, event: MessageEvent<FromWorker> | ErrorEvent): void {
    for (const listener of this.#listeners.get(type) ?? []) listener(event);
  }
}

/** A factory whose first worker is broken and whose later ones work, and the workers it made. */
function workers(): { start: () => FakeWorker; made: FakeWorker[] } {
  const made: FakeWorker[] = [];
  return { made, start: () => made[made.push(new FakeWorker(made.length > 0)) - 1] };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('WorkerEngine when its worker fails', () => {
  it.each([
    ['error', { message: '' }, /could not start or stopped/],
    ['error', { message: 'Uncaught RangeError: Array buffer allocation failed' }, /it failed: Uncaught RangeError/],
    ['messageerror', {}, /an answer from it could not be read/],
  ])("on '%s' every pending call fails with one EngineWorkerError; the next call starts a fresh worker", async (type, event, detail) => {
    const { start, made } = workers();
    const engine = workerEngine(start);
    const pending = [engine.load(spec), engine.capabilities(), engine.tokenize('a red circle')].map((p) =>
      p.then(
        () => null,
        (error: Error) => error,
      ),
    );
    await settle();
    expect(made).toHaveLength(1);
    expect(made[0].sent.map((m) => m.type)).toEqual(['load', 'capabilities', 'tokenize']); // sent, never answered
    made[0].fire(type, event as ErrorEvent);
    const errors = await Promise.all(pending);
    expect(errors.every((e) => e instanceof EngineWorkerError)).toBe(true);
    expect(new Set(errors).size).toBe(1);
    expect(errors[0]!.message).toMatch(detail);
    expect(made[0].terminated).toBe(true);

    await expect(engine.load(spec)).resolves.toEqual(loaded);
    expect(made).toHaveLength(2);
    made[0].fire('error', { message: 'late' } as ErrorEvent); // the old worker's last words change nothing
    await expect(engine.load(spec)).resolves.toEqual(loaded);
    expect(made).toHaveLength(2);
  });

  it("a worker URL that does not load: the element's shared queue fails that job and runs the next on a fresh worker", async () => {
    const { start, made } = workers();
    let engines = 0;
    const shared = new SharedEngine(() => (engines++, workerEngine(start)));
    const first = shared.run({ spec, request: { prompt: 'first', seed: 1 } }).then(
      () => null,
      (error: Error) => error,
    );
    const second = shared.run({ spec, request: { prompt: 'second', seed: 2 } });
    await settle();
    made[0].fire('error', { message: '' } as ErrorEvent); // what Chromium fires for a module worker whose script 404s
    expect(await first).toBeInstanceOf(EngineWorkerError);
    const { model, result } = await second;
    expect(model).toEqual(loaded);
    expect(result.request).toEqual({ prompt: 'second', seed: 2 });
    expect(made).toHaveLength(2);
    expect(made[1].sent.map((m) => m.type)).toEqual(['load', 'generate']);
    expect(engines).toBe(2); // the factory was asked again (the element's reads assetsUrl anew)
  });

  it('dispose still cancels what is pending and the next call starts a worker again', async () => {
    const { start, made } = workers();
    const engine = workerEngine(start);
    const pending = engine.load(spec).then(
      () => null,
      (error: Error) => error,
    );
    await engine.dispose();
    expect(await pending).toBeInstanceOf(CancelledError);
    expect(made[0].terminated).toBe(true);
    await expect(engine.load(spec)).resolves.toEqual(loaded);
  });
});
