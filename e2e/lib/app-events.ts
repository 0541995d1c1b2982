/**
 * The app's sd-app:* events as the browser tests watch them: an init script that keeps each listed event (its
 * type, detail and performance.now()) on window.__events, in order, before the app runs; and readers of that log.
 * Use: `await context.addInitScript(recordAppEvents, ['sd-app:state', 'sd-app:model-loaded'])`.
 */
import type { Page } from 'playwright-core';

export interface AppEvent {
  type: string;
  detail: Record<string, unknown>;
  t: number;
}

/** Runs in the page (serialised by addInitScript): it may use nothing from outside itself. */
export function recordAppEvents(types: string[]): void {
  const events: unknown[] = [];
  (window as unknown as { __events: unknown[] }).__events = events;
  for (const type of types) {
    document.addEventListener(type, (event) => events.push({ type, detail: (event as CustomEvent).detail, t: performance.now() }));
  }
}

export const appEvents = (page: Page): Promise<AppEvent[]> => page.evaluate(() => (window as unknown as { __events: AppEvent[] }).__events);

export const clearAppEvents = (page: Page) => page.evaluate(() => void ((window as unknown as { __events: unknown[] }).__events.length = 0));

/** Until the page's model has loaded (an sd-app:model-loaded event), at most 5 minutes. */
export const modelLoaded = (page: Page) =>
  page.waitForFunction(() => (window as unknown as { __events: AppEvent[] }).__events.some((e) => e.type === 'sd-app:model-loaded'), null, {
    timeout: 300_000,
    polling: 250,
  });
