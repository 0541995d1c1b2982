/** The progress line: a <progress> bar and one sentence, announced politely to screen readers. */
import type { EngineProgress } from '../engine/events.js';
import { formatProgress } from './progress-format.js';

export type RunState = 'idle' | 'loading' | 'generating' | 'cancelling' | 'cancelled' | 'done' | 'error';

export class ProgressView {
  #root: HTMLElement;
  #bar: HTMLProgressElement;
  #text: HTMLElement;

  constructor(root: HTMLElement, bar: HTMLProgressElement, text: HTMLElement) {
    this.#root = root;
    this.#bar = bar;
    this.#text = text;
  }

  show(progress: EngineProgress, batch?: { index: number; count: number }): void {
    const view = formatProgress(progress, batch);
    this.#text.textContent = view.text;
    if (view.fraction === null) this.#bar.removeAttribute('value');
    else this.#bar.value = Math.min(1, Math.max(0, view.fraction));
  }

  /** A state change with its sentence ("Cancelled.", an error's message…). */
  state(state: RunState, text: string): void {
    this.#root.dataset.state = state;
    this.#text.textContent = text;
    if (state === 'idle' || state === 'done' || state === 'cancelled' || state === 'error') this.#bar.value = state === 'done' ? 1 : 0;
    if (state === 'loading' || state === 'cancelling') this.#bar.removeAttribute('value');
  }
}
