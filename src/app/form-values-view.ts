/**
 * The generation form's fields (the mode and strength of "Start from a picture" included), read into
 * FormValues and written back from them (restored parameters, a model's recommended settings). Validation messages are shown next to the buttons
 * and on each field (aria-invalid), and the first invalid field gets focus.
 */
import type { PromptSyntax } from '../core/prompt-syntax.js';
import { SCHEDULER_LABELS, SCHEDULER_NAMES } from '../core/schedulers/index.js';
import type { SchedulerName } from '../core/schedulers/scheduler.js';
import { byId } from './dom.js';
import { formNumber, type FieldError, type FormField, type FormValues, type ImageMode, type PreviewSetting } from './form-values.js';
import type { Decoder } from '../engine/request/request.js';

type Field = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

export class GenerationForm {
  readonly element: HTMLFormElement;
  #fields: { [K in keyof FormValues]: Field };
  /** Where errors about the picture and the mask point (the picture box, the mask canvas). */
  #targets: Record<Exclude<FormField, keyof FormValues>, HTMLElement>;
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
      eta: byId('eta', HTMLInputElement, root),
      timestepSpacing: byId('timestep-spacing', HTMLSelectElement, root),
      seed: byId('seed', HTMLInputElement, root),
      width: byId('width', HTMLInputElement, root),
      height: byId('height', HTMLInputElement, root),
      batchCount: byId('batch-count', HTMLInputElement, root),
      vaeDecodeEvery: byId('vae-decode-every', HTMLInputElement, root),
      preview: byId('preview-kind', HTMLSelectElement, root),
      decoder: byId('decoder', HTMLSelectElement, root),
      mode: byId('mode', HTMLSelectElement, root),
      strength: byId('strength', HTMLInputElement, root),
    };
    this.#targets = { initImage: byId('picture-drop', HTMLElement, root), mask: byId('mask-canvas', HTMLCanvasElement, root) };
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
    const number = (field: Field) => formNumber(field.value);
    return {
      modelId: f.modelId.value,
      customUrl: f.customUrl.value.trim(),
      prompt: f.prompt.value,
      negativePrompt: f.negativePrompt.value,
      promptSyntax: f.promptSyntax.value as PromptSyntax,
      scheduler: f.scheduler.value as SchedulerName,
      steps: number(f.steps),
      guidanceScale: number(f.guidanceScale),
      eta: number(f.eta),
      timestepSpacing: f.timestepSpacing.value as FormValues['timestepSpacing'],
      seed: number(f.seed),
      width: number(f.width),
      height: number(f.height),
      batchCount: number(f.batchCount),
      vaeDecodeEvery: number(f.vaeDecodeEvery),
      preview: f.preview.value as PreviewSetting,
      decoder: f.decoder.value as Decoder,
      mode: f.mode.value as ImageMode,
      strength: number(f.strength),
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
    for (const field of [...Object.values(this.#fields), ...Object.values(this.#targets)]) field.removeAttribute('aria-invalid');
    for (const { field } of errors) this.#element(field).setAttribute('aria-invalid', 'true');
    this.showMessage(errors.map((e) => e.message).join(' '));
    if (errors.length > 0) this.#element(errors[0].field).focus();
  }

  #element(field: FormField): HTMLElement {
    return field === 'initImage' || field === 'mask' ? this.#targets[field] : this.#fields[field];
  }

  /** In the picture modes the output takes the picture's size: the size fields show it and are locked. */
  lockSize(size: { width: number; height: number } | null): void {
    for (const name of ['width', 'height'] as const) {
      this.#fields[name].disabled = size !== null;
      if (size) this.#fields[name].value = String(size[name]);
    }
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
