/**
 * The app's progress as the browser benches record it (bench/gpu-browser/browser-run.ts,
 * e2e/bench/real-size-browser.ts): an init script that keeps, with performance.now(), every text of
 * #progress-text and each listed sd-app:* event on window.__progress, and its reader.
 */
import type { BrowserContext, Page } from 'playwright-core';

export interface TextEvent {
  t: number;
  text: string;
}

/**
 * How an event is written: 'detail' as `[state] {"state":"done"}` (the name without sd-app:, the detail as JSON),
 * 'state' (for sd-app:state) as `[state done] message`.
 */
export type EventText = 'detail' | 'state';

/** Records in every page of the context from before the app runs. */
export const recordProgressIn = (context: BrowserContext, events: Record<string, EventText>) => context.addInitScript(recordProgress, events);

/** Runs in the page (serialised by addInitScript): it may use nothing from outside itself. */
function recordProgress(events: Record<string, EventText>): void {
  const log: { t: number; text: string }[] = [];
  (window as unknown as { __progress: typeof log }).__progress = log;
  document.addEventListener('DOMContentLoaded', () => {
    const target = document.getElementById('progress-text')!;
    new MutationObserver(() => log.push({ t: performance.now(), text: target.textContent ?? '' })).observe(target, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
  for (const [name, as] of Object.entries(events)) {
    document.addEventListener(name, (event) => {
      const detail = (event as CustomEvent).detail;
      const text = as === 'state' ? `[state ${detail.state}] ${detail.message ?? ''}` : `[${name.slice(7)}] ${JSON.stringify(detail)}`;
      log.push({ t: performance.now(), text });
    });
  }
}

export const progressLog = (page: Page) => page.evaluate(() => (window as unknown as { __progress: TextEvent[] }).__progress);
