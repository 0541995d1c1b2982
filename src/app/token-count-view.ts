/**
 * Binds a prompt textarea to its <output> counter: tokenizes (in the worker, with the loaded
 * model's own tokenizer, in the chosen prompt syntax) shortly after typing stops, and drops answers
 * that arrive out of order. With the AUTOMATIC1111 syntax and more than one chunk it lists the
 * chunks under the textarea, each with its token count and text, so the user sees where a chunk
 * breaks (after 75 tokens, at BREAK, or earlier at a comma).
 */
import type { PromptSyntax } from '../core/prompt-syntax.js';
import type { Tokenized } from '../engine/text/tokenizer.js';
import { formatTokenCount, NO_TOKENIZER, type TokenCountView } from './token-count.js';

export interface TokenCounterOptions {
  input: HTMLTextAreaElement;
  output: HTMLOutputElement;
  tokenize: (text: string, syntax: PromptSyntax) => Promise<Tokenized>;
  /** The syntax the prompt is read in now. */
  syntax: () => PromptSyntax;
  /** Debounce in milliseconds. */
  delay?: number;
}

export class TokenCounter {
  #options: TokenCounterOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #generation = 0;
  #ready = false;
  #warning: HTMLParagraphElement;
  #chunks: HTMLOListElement;

  constructor(options: TokenCounterOptions) {
    this.#options = options;
    this.#warning = document.createElement('p');
    this.#warning.className = 'token-warning';
    this.#warning.setAttribute('role', 'alert');
    this.#warning.hidden = true;
    this.#chunks = document.createElement('ol');
    this.#chunks.className = 'prompt-chunks';
    this.#chunks.setAttribute('aria-label', `Chunks of ${options.input.labels?.[0]?.textContent ?? 'the prompt'}`);
    this.#chunks.hidden = true;
    options.input.insertAdjacentElement('afterend', this.#warning);
    this.#warning.insertAdjacentElement('afterend', this.#chunks);
    options.input.addEventListener('input', () => this.#schedule());
    this.#render(NO_TOKENIZER, null);
  }

  /** Call when a model (and its tokenizer) has loaded, or unloaded (`false`). */
  setReady(ready: boolean): void {
    this.#ready = ready;
    if (ready) this.refresh();
    else this.#render(NO_TOKENIZER, null);
  }

  /** Counts now (e.g. after the prompt or the syntax was set from code). */
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
    const syntax = this.#options.syntax();
    try {
      const tokenized = await this.#options.tokenize(this.#options.input.value, syntax);
      if (generation === this.#generation) this.#render(formatTokenCount(tokenized, syntax), syntax === 'a1111' ? tokenized.chunks : null);
    } catch {
      if (generation === this.#generation) this.#render(NO_TOKENIZER, null);
    }
  }

  #render(view: TokenCountView, chunks: Tokenized['chunks'] | null): void {
    const { output, input } = this.#options;
    output.value = view.text;
    output.dataset.level = view.level;
    output.title = view.message;
    output.setAttribute('aria-label', view.message);
    if (view.level === 'over') input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
    this.#warning.hidden = view.level !== 'over';
    this.#warning.textContent = view.level === 'over' ? view.message : '';
    const shown = chunks !== null && chunks.length > 1;
    this.#chunks.hidden = !shown;
    this.#chunks.replaceChildren(
      ...(shown ? chunks : []).map((chunk, i) => {
        const item = document.createElement('li');
        item.dataset.chunk = String(i + 1);
        const count = document.createElement('span');
        count.className = 'chunk-count';
        count.textContent = `${i + 1} · ${chunk.tokenCount}/75`;
        const text = document.createElement('span');
        text.className = 'chunk-text';
        text.textContent = chunk.text || '(empty: BREAK)';
        item.append(count, text);
        return item;
      }),
    );
  }
}
