/**
 * The app's engine: a module worker from the same build as this file. The one place that holds the
 * literal worker URL Vite needs to bundle workers/engine.worker.ts (the element gives its URL at run time).
 */
import type { Engine } from '../engine/engine.js';
import { workerEngine, type WorkerLike } from './worker-engine.js';

export function createWorkerEngine(): Engine {
  return workerEngine(() => new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module' }) as WorkerLike);
}
