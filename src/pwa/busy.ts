/**
 * Whether the page is working, for the update protocol (register.ts): a reload is offered, and
 * done, only while the page is idle, so it never interrupts a download or a generation.
 */
const BUSY_STATES: ReadonlySet<string> = new Set(['loading', 'generating', 'cancelling']);

export interface BusySignal {
  isBusy(): boolean;
  /** Calls `listener` whenever busy may have changed, until the returned function is called. */
  onChange(listener: () => void): () => void;
}

/** Busy while the app works (<body data-state>) or an <sd-text-to-image> generates ([busy]). */
export function pageBusySignal(doc: Document = document): BusySignal {
  return {
    isBusy: () => BUSY_STATES.has(doc.body?.dataset.state ?? '') || doc.querySelector('sd-text-to-image[busy]') !== null,
    onChange: (listener) => {
      const observer = new MutationObserver(() => listener());
      observer.observe(doc.documentElement, { subtree: true, attributes: true, attributeFilter: ['data-state', 'busy'] });
      return () => observer.disconnect();
    },
  };
}

/** Runs `action` as soon as the page is idle (now, if it is). */
export function whenIdle(busy: BusySignal, action: () => void): void {
  if (!busy.isBusy()) return action();
  const stop = busy.onChange(() => {
    if (busy.isBusy()) return;
    stop();
    action();
  });
}
