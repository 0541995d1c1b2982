/**
 * Test page for the weight store: starts the store worker and exposes `storeCall(op, args)` to
 * Playwright. Answers are `{ result }` or `{ error: { name, message } }` (errors as they cross the
 * worker boundary); the latest progress event is kept in `storeProgress` for tests to wait on.
 */
import type { StoreOp, StoreReply } from './store-worker.js';

declare global {
  interface Window {
    storeCall(op: StoreOp, args?: Record<string, unknown>): Promise<StoreReply>;
    storeProgress: unknown;
    storeReady: boolean;
  }
}

const worker = new Worker(new URL('./store-worker.ts', import.meta.url), { type: 'module' });
const pending = new Map<number, (reply: StoreReply) => void>();
let nextId = 1;

worker.addEventListener('message', (event: MessageEvent<{ id?: number; progress?: unknown } & StoreReply>) => {
  const { id, progress } = event.data;
  if (progress !== undefined) {
    window.storeProgress = progress;
    return;
  }
  pending.get(id!)?.(event.data);
  pending.delete(id!);
});

window.storeCall = (op, args = {}) =>
  new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    worker.postMessage({ id, op, args });
  });
window.storeProgress = null;
window.storeReady = true;
