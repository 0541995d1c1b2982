/**
 * The generation form's fields, read into FormValues and written back from them (restored
 * parameters, a model's recommended settings). Validation messages are shown next to the buttons
 * and on each field (aria-invalid), and the first invalid field gets focus.
 */
import type { PromptSyntax } from '../core/prompt-syntax.js';
import { SCHEDULER_LABELS, SCHEDULER_NAMES } from '../core/schedulers/index.js';
import type { SchedulerName } from '../core/schedulers/scheduler.js';
import { byId } from './dom.js';
import type { FieldError, FormValues } from './form-values.js';

type Field = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

export class GenerationForm {
  readonly element: HTMLFormElement;
  #fields: { [K in keyof FormValues]: Field };
  #errors: HTMLElement;
  #submit: HTMLButtonElement;

  constructor(root: Document = document) {
    this.element = byId('generate-form', HTMLFormElement, root);
    this.#errors = byId('form-errors', HTMLElement, root);
    this.#submit = byId('generate', HTMLButtonElement, root);
    this.#fields = {
      modelId: byId('model', HTMLSelectElement, root),
      customUrl: byId('custom-url', HTMLInputElement, root),
      prompt: byId('prompt', HTMLTextAreaElement, root),
      negativePrompt: byId('negative-prompt', HTMLTextAreaElement, root),
      promptSyntax: byId('prompt-syntax', HTMLSelectElement, root),
      scheduler: byId('scheduler', HTMLSelectElement, root),
      steps: byId('steps', HTMLInputElement, root),
      guidanceScale: byId('guidance-scale', HTMLInputElement, root),
      seed: byId('seed', HTMLInputElement, root),
      width: byId('width', HTMLInputElement, root),
      height: byId('height', HTMLInputElement, root),
      batchCount: byId('batch-count', HTMLInputElement, root),
      vaeDecodeEvery: byId('vae-decode-every', HTMLInputElement, root),
    };
    const scheduler = this.#fields.scheduler as HTMLSelectElement;
    scheduler.replaceChildren(...SCHEDULER_NAMES.map((name) => new Option(SCHEDULER_LABELS[name], name)));
    // Ctrl/Cmd+Enter in a prompt generates, as in most generation UIs.
    for (const field of [this.#fields.prompt, this.#fields.negativePrompt]) {
      field.addEventListener('keydown', (event) => {
        const key = event as KeyboardEvent;
        if (key.key === 'Enter' && (key.ctrlKey || key.metaKey)) {
          key.preventDefault();
          this.element.requestSubmit();
        }
      });
    }
  }

  field<K extends keyof FormValues>(name: K): Field {
    return this.#fields[name];
  }

  read(): FormValues {
    const f = this.#fields;
    const number = (field: Field) => (field.value.trim() === '' ? NaN : Number(field.value));
    return {
      modelId: f.modelId.value,
      customUrl: f.customUrl.value.trim(),
      prompt: f.prompt.value,
      negativePrompt: f.negativePrompt.value,
      promptSyntax: f.promptSyntax.value as PromptSyntax,
      scheduler: f.scheduler.value as SchedulerName,
      steps: number(f.steps),
      guidanceScale: number(f.guidanceScale),
      seed: number(f.seed),
      width: number(f.width),
      height: number(f.height),
      batchCount: number(f.batchCount),
      vaeDecodeEvery: number(f.vaeDecodeEvery),
    };
  }

  write(values: Partial<FormValues>): void {
    for (const [name, value] of Object.entries(values) as [keyof FormValues, FormValues[keyof FormValues]][]) {
      if (value === undefined) continue;
      this.#fields[name].value = String(value);
      this.#fields[name].removeAttribute('aria-invalid');
    }
  }

  showErrors(errors: readonly FieldError[]): void {
    for (const field of Object.values(this.#fields)) field.removeAttribute('aria-invalid');
    for (const { field } of errors) this.#fields[field].setAttribute('aria-invalid', 'true');
    this.showMessage(errors.map((e) => e.message).join(' '));
    if (errors.length > 0) this.#fields[errors[0].field].focus();
  }

  /** A message in the form's alert line (run errors too); '' hides it. */
  showMessage(message: string): void {
    this.#errors.textContent = message;
    this.#errors.hidden = message === '';
  }

  setBusy(busy: boolean): void {
    this.#submit.disabled = busy;
    this.element.setAttribute('aria-busy', String(busy));
  }
}
