/**
 * Cancellation between pipeline stages and sampler steps. A cancel arrives as a message (worker) or a
 * timer; runtimes whose run() settles in microtasks (wasm) would never let it in, so each check first
 * yields to the event loop, then throws CancelledError when the signal has fired.
 */
import { CancelledError } from '../core/errors.js';

/** Lets queued events (a cancel message, a UI update) run: scheduler.yield where the platform has it, else a macrotask. */
function yieldToEventLoop(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (scheduler?.yield) return scheduler.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The check a generation runs before each stage and step: yield, then throw if `signal` was aborted. */
export function cancellationCheck(signal: AbortSignal | undefined): () => Promise<void> {
  return async () => {
    await yieldToEventLoop();
    if (signal?.aborted) throw new CancelledError();
  };
}
