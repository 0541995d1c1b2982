/** The engine in a module worker from the same build as this file (the app or the library): the one place that starts it. */
import type { Engine } from '../engine/engine.js';
import { WorkerEngine } from './worker-engine.js';

export function createWorkerEngine(): Engine {
  return new WorkerEngine(new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module' }));
}
