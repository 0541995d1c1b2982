/**
 * Binds a prompt textarea to its <output> counter: tokenizes (in the worker, with the loaded
 * model's own tokenizer) shortly after typing stops, and drops answers that arrive out of order.
 */
import type { Tokenized } from '../engine/tokenizer.js';
import { formatTokenCount, NO_TOKENIZER, type TokenCountView } from './token-count.js';

export interface TokenCounterOptions {
  input: HTMLTextAreaElement;
  output: HTMLOutputElement;
  tokenize: (text: string) => Promise<Tokenized>;
  /** Debounce in milliseconds. */
  delay?: number;
}

export class TokenCounter {
  #options: TokenCounterOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #generation = 0;
  #ready = false;
  #warning: HTMLParagraphElement;

  constructor(options: TokenCounterOptions) {
    this.#options = options;
    this.#warning = document.createElement('p');
    this.#warning.className = 'token-warning';
    this.#warning.setAttribute('role', 'alert');
    this.#warning.hidden = true;
    options.input.insertAdjacentElement('afterend', this.#warning);
    options.input.addEventListener('input', () => this.#schedule());
    this.#render(NO_TOKENIZER);
  }

  /** Call when a model (and its tokenizer) has loaded, or unloaded (`false`). */
  setReady(ready: boolean): void {
    this.#ready = ready;
    if (ready) this.refresh();
    else this.#render(NO_TOKENIZER);
  }

  /** Counts now (e.g. after the prompt was set from code). */
  refresh(): void {
    clearTimeout(this.#timer);
    void this.#count();
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#count(), this.#options.delay ?? 150);
  }

  async #count(): Promise<void> {
    if (!this.#ready) return;
    const generation = ++this.#generation;
    try {
      const tokenized = await this.#options.tokenize(this.#options.input.value);
      if (generation === this.#generation) this.#render(formatTokenCount(tokenized));
    } catch {
      if (generation === this.#generation) this.#render(NO_TOKENIZER);
    }
  }

  #render(view: TokenCountView): void {
    const { output, input } = this.#options;
    output.value = view.text;
    output.dataset.level = view.level;
    output.title = view.message;
    output.setAttribute('aria-label', view.message);
    if (view.level === 'over') input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
    this.#warning.hidden = view.level !== 'over';
    this.#warning.textContent = view.level === 'over' ? view.message : '';
  }
}
