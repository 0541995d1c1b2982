/**
 * <sd-text-to-image>: Stable Diffusion text to image on this device, as a vanilla custom element
 * (shadow DOM, no framework), in the manner of GitHub's custom elements and shoelace.
 *
 *   <script type="module" src="lib/define.js"></script>
 *   <sd-text-to-image model="shapes-sd" prompt="a red circle on a blue background" steps="20" preview></sd-text-to-image>
 *
 * Every element on a page shares one engine (one worker, one loaded model, one stored copy of the
 * weights, see shared-engine.ts); generations from several elements run one after another.
 *
 * @attr init-image - img2img: the URL (resolved against the page) of the picture to start from (PNG, JPEG or WebP; the output takes its size, which the model must accept).
 *   Property: `initImage: Blob | ImageBitmap | string | null` (a Blob or ImageBitmap is held by the property only; a string sets the attribute).
 * @attr mask - inpainting (with init-image): the URL of a mask of the init image's size, white = repaint, black = keep (grey binarised at 0.5).
 *   Property: `mask: Blob | ImageBitmap | string | null`, as initImage.
 * Property only: `loras: { file: Blob | string, weight: number }[]` (default []): LoRA `.safetensors` files (a Blob, or a URL
 *   resolved against the page, fetched once) merged into the model for the next generate(); [] gives the base model back.
 *   The list is the library of the prompt's `<lora:name:weight>` tags, as the app's: a tag sets the weight of the LoRA it names
 *   (weight 0 is off unless tagged), a tag naming none is an sd-error before any work, and the text encoder reads the prompt
 *   without the tags. The PNG names the set as the app and the CLI do: the prompt as typed, a tag after it for each LoRA no
 *   tag named, and `Lora hashes` (element-loras.ts).
 * @attr busy - set by the element while it generates (read-only, for styling `:host([busy])`). Property: `busy: boolean`.
 *
 * With init-image (or initImage) the element runs img2img, inpainting with a mask as well, and fires the same events; a picture
 * that cannot be fetched or decoded, a mask of another size, a strength outside (0, 1] or a mask without an init image is an
 * sd-error before any model work (a model folder without vae_encoder/: from its file list, before its weights download).
 *
 * @fires sd-progress - {stage, step, total, progress}: weight download/verify, model load, prompt encoding, each denoising step, decode.
 * @fires sd-preview - {step, total, kind, width, height, bitmap}: an ImageBitmap, closed once listeners return.
 * @fires sd-complete - {blob, width, height, request, model}: the PNG (with A1111 parameters) and the request that made it (diffusers' names, the seed used included).
 * @fires sd-error - {name, message}: why it failed; name 'CancelledError' after cancel(), 'NsfwContentDetectedError' when the safety checker withheld the picture.
 *
 * @csspart base - the wrapper of everything
 * @csspart form - the prompt box and the buttons
 * @csspart prompt - the prompt <textarea>
 * @csspart button - the Generate <button>
 * @csspart cancel-button - the Cancel <button> (shown while generating)
 * @csspart progress - the <progress> bar (shown while working)
 * @csspart status - the one-line status text
 * @csspart stage - the box the picture is drawn in
 * @csspart image - the finished picture, an <img>
 * @csspart preview - the preview <canvas> (shown while generating with previews on)
 *
 * @cssprop --sd-accent - button and progress colour (#4f46e5)
 * @cssprop --sd-accent-text - text on the accent colour (#fff)
 * @cssprop --sd-background, --sd-color, --sd-font - the element's background, text colour and font (transparent, inherit, inherit)
 * @cssprop --sd-border, --sd-radius, --sd-padding, --sd-gap - frame and spacing
 * @cssprop --sd-width - the element's max width (32rem)
 * @cssprop --sd-image-size - the picture's max width (256px); its height follows width/height
 * @cssprop --sd-image-background - the empty picture box (a faint tint)
 * @cssprop --sd-input-background - the prompt box background (transparent)
 * @cssprop --sd-error-color - the status text after an error (#dc2626)
 */
import { checkElementLoras, chooseElementLoras, pngWithLoras, resolveElementLoras, type ElementLora } from './element-loras.js';
import { decodeImageSource } from '../browser/decode-image.js';
import { CancelledError, errorToJSON, InvalidRequestError } from '../core/errors.js';
import type { EngineProgress, Preview } from '../engine/events.js';
import { randomSeed } from '../engine/request/seed.js';
import { presets } from '../presets/presets.js';
import { progressDetail, sdEvent, type SdCompleteDetail, type SdEventDetails } from './events.js';
import { SharedEngine, WORKER_FILE, workerEngine } from './shared-engine.js';
import { isImageInput, loadImageInputs, type ImageInput, type ImageLoader } from './image-inputs.js';
import { formatProgress } from '../protocol/progress-text.js';
import { requestFromAttributes, resolveModel, withModelRecommendation, type AttributeReader } from './settings.js';
import { ATTRIBUTE_PROPERTIES, defineAttributeProperties, type AttributeProperties } from './properties.js';
import { ELEMENT_CSS, elementStyles } from './styles.js';

const TEMPLATE = /* html */ `
<div part="base" class="base">
  <form part="form">
    <textarea part="prompt" name="prompt" rows="2" aria-label="Prompt" placeholder="Describe the picture"></textarea>
    <div class="actions">
      <button part="button" type="submit">Generate</button>
      <button part="cancel-button" type="button" hidden>Cancel</button>
    </div>
  </form>
  <progress part="progress" max="1" value="0" aria-label="Progress" hidden></progress>
  <p part="status" class="status" role="status" aria-live="polite"></p>
  <div part="stage" class="stage">
    <img part="image" alt="" hidden />
    <canvas part="preview" aria-hidden="true" hidden></canvas>
  </div>
</div>`;

/** The attributes a generation reads (a snapshot taken when it starts). */
const REQUEST_ATTRIBUTES = ATTRIBUTE_PROPERTIES.filter((row) => row.request).map((row) => row.attribute);
const IMAGE_ATTRIBUTES = ['init-image', 'mask'] as const;
type ImageAttribute = (typeof IMAGE_ATTRIBUTES)[number];
/** The properties a page may set before the element is defined (re-applied through the accessors on connection). */
const PROPERTIES = [...ATTRIBUTE_PROPERTIES.map((row) => row.property), 'initImage', 'mask', 'loras'];

/**
 * HTMLElement where there is a DOM; elsewhere (Node: SSR, tests) a stand-in, so that importing this
 * module never throws. Only constructing the element needs a DOM.
 */
const ElementBase: typeof HTMLElement = globalThis.HTMLElement ?? (class {} as unknown as typeof HTMLElement);

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface below types the accessors that defineAttributeProperties puts on the prototype (properties.ts), which TypeScript cannot see.
export class SdTextToImageElement extends ElementBase {
  /** Registers the element (once) under `tag`. */
  static define(tag = 'sd-text-to-image', registry: CustomElementRegistry = customElements): typeof SdTextToImageElement {
    if (!registry.get(tag)) registry.define(tag, this);
    return this;
  }

  static readonly observedAttributes = [...ATTRIBUTE_PROPERTIES.filter((row) => row.observed !== false).map((row) => row.attribute), ...IMAGE_ATTRIBUTES];

  /**
   * The folder holding the library's files (engine.worker.js, ort/, models/ that preset ids resolve
   * to): set by defineSdTextToImage() (index.ts), by default to the library module's own folder;
   * null means the page's folder. Read when a generation starts, never at import.
   */
  static assetsUrl: string | null = null;
  /** The engine every element on the page shares (its worker starts with the first job). Tests replace it (before generating) with a fake. */
  static sharedEngine: SharedEngine = new SharedEngine(() => workerEngine(new URL(WORKER_FILE, SdTextToImageElement.#assets())));
  /** Picks the seed for seed = -1. */
  static randomSeed: () => number = () => randomSeed();
  /** Fetches and decodes init-image / mask pictures (the page's fetch and createImageBitmap, src/browser/decode-image.ts). Tests may replace it. */
  static imageLoader: () => ImageLoader = () => ({ baseUrl: document.baseURI, decode: (source, what) => decodeImageSource(source, what) });

  static #assets(): string {
    return SdTextToImageElement.assetsUrl ?? document.baseURI;
  }

  readonly #root: ShadowRoot;
  readonly #form: HTMLFormElement;
  readonly #prompt: HTMLTextAreaElement;
  readonly #button: HTMLButtonElement;
  readonly #cancelButton: HTMLButtonElement;
  readonly #progress: HTMLProgressElement;
  readonly #status: HTMLElement;
  readonly #stage: HTMLElement;
  readonly #image: HTMLImageElement;
  readonly #canvas: HTMLCanvasElement;

  /** The loras property; URL files fetched once, by address (element-loras.ts). */
  #loras: ElementLora[] = [];
  readonly #loraBlobs = new Map<string, Promise<Blob>>();
  /** Each LoRA file's A1111 hash, for the PNG's `Lora hashes` (read once per Blob). */
  readonly #loraHashes = new WeakMap<Blob, Promise<string>>();
  /** initImage / mask set to a Blob or ImageBitmap (a URL lives in the attribute instead). */
  readonly #pictures = new Map<ImageAttribute, Blob | ImageBitmap>();
  /** The engine this element holds a claim on while connected. */
  #engine: SharedEngine | null = null;
  #abort: AbortController | null = null;
  /** Events go out in the order the engine reported them (a preview waits for its bitmap). */
  #events: Promise<void> = Promise.resolve();
  #result: SdCompleteDetail | null = null;
  #imageUrl: string | null = null;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    const sheet = elementStyles();
    if (sheet) this.#root.adoptedStyleSheets = [sheet];
    this.#root.innerHTML = (sheet ? '' : `<style>${ELEMENT_CSS}</style>`) + TEMPLATE;
    const part = <T extends Element>(name: string) => this.#root.querySelector<T>(`[part~="${name}"]`)!;
    this.#form = part('form');
    this.#prompt = part('prompt');
    this.#button = part('button');
    this.#cancelButton = part('cancel-button');
    this.#progress = part('progress');
    this.#status = part('status');
    this.#stage = part('stage');
    this.#image = part('image');
    this.#canvas = part('preview');

    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      // Failures are reported by sd-error and the status line; the promise is for callers of generate().
      this.generate().catch(() => undefined);
    });
    this.#prompt.addEventListener('input', () => (this.prompt = this.#prompt.value));
    this.#prompt.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.#form.requestSubmit();
      }
    });
    this.#cancelButton.addEventListener('click', () => this.cancel());
  }

  // ---- properties: the attribute-backed ones are defined from properties.ts (after the class) ----

  /** The picture img2img starts from: the Blob or ImageBitmap given to this property, else the init-image attribute (a URL), else null. */
  get initImage(): ImageInput | null {
    return this.#picture('init-image');
  }
  set initImage(value: ImageInput | null) {
    this.#setPicture('init-image', value);
  }

  /** The inpainting mask (white = repaint), as initImage: a Blob or ImageBitmap given to this property, else the mask attribute, else null. */
  get mask(): ImageInput | null {
    return this.#picture('mask');
  }
  set mask(value: ImageInput | null) {
    this.#setPicture('mask', value);
  }

  /** LoRA files merged into the model for the next generate() (README.md, LoRAs); a TypeError for anything but `{ file: Blob | string, weight: number }[]`. */
  get loras(): ElementLora[] {
    return this.#loras.map((l) => ({ ...l }));
  }
  set loras(value: readonly ElementLora[]) {
    this.#loras = checkElementLoras(value);
  }

  /** True while a generation runs (mirrored as the `busy` attribute). */
  get busy(): boolean {
    return this.#abort !== null;
  }

  /** The last finished image, or null. */
  get result(): SdCompleteDetail | null {
    return this.#result;
  }

  #picture(name: ImageAttribute): ImageInput | null {
    return this.#pictures.get(name) ?? this.getAttribute(name);
  }

  /** A string goes to the attribute; a Blob or ImageBitmap is held here, and the attribute is removed (the latest setting wins). */
  #setPicture(name: ImageAttribute, value: ImageInput | null): void {
    if (value !== null && value !== undefined && !isImageInput(value)) {
      throw new TypeError(`${name === 'init-image' ? 'initImage' : 'mask'} takes a Blob, an ImageBitmap, a URL string or null.`);
    }
    if (typeof value === 'string') return this.setAttribute(name, value); // attributeChangedCallback drops a held picture
    this.removeAttribute(name);
    if (value === null || value === undefined) this.#pictures.delete(name);
    else this.#pictures.set(name, value);
  }

  // ---- lifecycle ----

  connectedCallback(): void {
    // Properties set before the element was defined shadow the accessors: re-apply them through them.
    for (const name of PROPERTIES) {
      if (Object.hasOwn(this, name)) {
        const value = (this as Record<string, unknown>)[name];
        delete (this as Record<string, unknown>)[name];
        (this as Record<string, unknown>)[name] = value;
      }
    }
    if (!this.#engine) {
      this.#engine = (this.constructor as typeof SdTextToImageElement).sharedEngine;
      this.#engine.retain();
    }
    if (this.#result && !this.#imageUrl) void this.#showImage(this.#result.blob, this.#result.request.prompt);
    this.#syncPrompt();
    this.#syncAspect(this.width, this.height);
  }

  disconnectedCallback(): void {
    // Moving the element disconnects and reconnects it at once: only an element that stays out stops.
    queueMicrotask(() => {
      if (this.isConnected) return;
      this.cancel();
      this.#engine?.release();
      this.#engine = null;
      this.#revokeImage();
    });
  }

  attributeChangedCallback(name: string, _old: string | null, value: string | null): void {
    if (name === 'prompt') this.#syncPrompt();
    // A URL set as the attribute replaces a Blob / ImageBitmap given to the property.
    if ((name === 'init-image' || name === 'mask') && value !== null) this.#pictures.delete(name);
    if (name === 'width' || name === 'height') this.#syncAspect(this.width, this.height);
  }

  // ---- methods ----

  /**
   * Generates one image from the current attributes (read once, now). Resolves with what sd-complete
   * carries; rejects with the error sd-error reports (CancelledError after cancel()). While one runs,
   * another call rejects at once with InvalidRequestError and fires nothing.
   */
  generate(): Promise<SdCompleteDetail> {
    if (this.#abort) {
      return Promise.reject(new InvalidRequestError('This element is already generating: wait for sd-complete, or call cancel() first.'));
    }
    const abort = new AbortController();
    this.#abort = abort;
    this.#setBusy(true);
    return this.#run(abort.signal).finally(() => {
      this.#abort = null;
      this.#setBusy(false);
    });
  }

  /** Stops the running generation (between two steps); generate() then rejects with CancelledError. */
  cancel(): void {
    this.#abort?.abort();
  }

  async #run(signal: AbortSignal): Promise<SdCompleteDetail> {
    const Self = this.constructor as typeof SdTextToImageElement;
    try {
      const engine = this.#engine ?? Self.sharedEngine;
      const spec = resolveModel(this.getAttribute('model'), presets(SdTextToImageElement.#assets()), document.baseURI);
      // A snapshot of the attributes: changing them while this runs affects the next generate().
      const snapshot = new Map(REQUEST_ATTRIBUTES.map((name) => [name, this.getAttribute(name)]));
      // The prompt's <lora:name:weight> tags name LoRAs of the loras property (element-loras.ts, as the app's
      // library): a tag naming none is refused now; the text encoder reads the prompt without them.
      const loraChoice = chooseElementLoras(snapshot.get('prompt') ?? '', this.#loras);
      const read: AttributeReader = (name) => (name === 'prompt' ? loraChoice.prompt : (snapshot.get(name) ?? null));
      const pictures = { initImage: this.initImage, mask: this.mask };
      // The request, checked now (not after a download) by the engine's validator; the engine checks it
      // again against the loaded model (its size multiple) before any work. The attributes first, then
      // the pictures (fetched and decoded here, in the page) with them: size, mask size, strength.
      const textRequest = requestFromAttributes(read, spec, Self.randomSeed);
      const images = await loadImageInputs(pictures.initImage, pictures.mask, Self.imageLoader());
      const request = images.initImage ? requestFromAttributes(read, spec, () => textRequest.seed!, undefined, images) : textRequest;
      const loraFiles = await resolveElementLoras(loraChoice.loras, document.baseURI, this.#loraBlobs);
      if (signal.aborted) throw new CancelledError();
      this.#syncAspect(request.width ?? images.initImage?.width ?? null, request.height ?? images.initImage?.height ?? null);
      const previews = this.preview;
      this.#showStatus('Starting…', 0, 0);

      const { result } = await engine.run({
        spec,
        request,
        // The loaded folder's recommendation (an LCM-distilled UNet: LCM, 4 steps, guidance 1) for the sampler attributes left unset.
        forModel: (model) => withModelRecommendation(request, read, model.recommended),
        safetyChecker: this.safetyChecker,
        loraFiles,
        options: {
          signal,
          previewEvery: previews ? 1 : 0,
          onProgress: (progress) => this.#onProgress(progress),
          ...(previews ? { onPreview: (preview: Preview) => this.#onPreview(preview) } : {}),
        },
      });
      this.#syncAspect(result.width, result.height);
      // With LoRAs the PNG names them (the prompt as typed, a tag for each LoRA no tag named, `Lora hashes`), as the app's and the CLI's do.
      const png = await pngWithLoras(result, loraChoice.infotextPrompt, loraFiles, this.#loraHashes);
      const detail: SdCompleteDetail = {
        blob: new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }),
        width: result.width,
        height: result.height,
        request: result.request,
        model: result.model,
      };
      // The picture is shown (decoded) before sd-complete fires and generate() resolves, so listeners see it.
      await this.#emit('sd-complete', async () => {
        this.#result = detail;
        await this.#showImage(detail.blob, detail.request.prompt);
        const r = detail.request;
        this.#showStatus(`Seed ${r.seed} · ${r.numInferenceSteps} steps · ${(result.timings.totalMs / 1000).toFixed(1)} s`, null, null);
        return detail;
      });
      return detail;
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      await this.#emit('sd-error', errorToJSON(error), () => {
        this.#canvas.hidden = true;
        const cancelled = error instanceof CancelledError;
        this.toggleAttribute('data-failed', !cancelled);
        this.#showStatus(cancelled ? 'Cancelled.' : error.message, null, null);
      });
      throw error;
    }
  }

  // ---- engine callbacks → view and events ----

  #onProgress(progress: EngineProgress): void {
    const detail = progressDetail(progress);
    void this.#emit('sd-progress', detail, () => this.#showStatus(formatProgress(progress).text, detail.step, detail.total));
  }

  #onPreview(preview: Preview): void {
    const pixels = new ImageData(preview.rgba as Uint8ClampedArray<ArrayBuffer>, preview.width, preview.height);
    const bitmap = createImageBitmap(pixels);
    void this.#emit(
      'sd-preview',
      async () => {
        const image = await bitmap;
        this.#drawPreview(image);
        return { step: preview.step, total: preview.totalSteps, kind: preview.kind, width: preview.width, height: preview.height, bitmap: image };
      },
      undefined,
      (detail) => detail.bitmap.close(),
    );
  }

  /**
   * Queues an event after the ones before it. `detail` may be computed (awaited) in turn; `before`
   * updates the view first, `after` runs once the listeners have returned.
   */
  #emit<K extends keyof SdEventDetails>(
    type: K,
    detail: SdEventDetails[K] | (() => Promise<SdEventDetails[K]>),
    before?: () => void,
    after?: (detail: SdEventDetails[K]) => void,
  ): Promise<void> {
    const next = this.#events.then(async () => {
      const value = typeof detail === 'function' ? await detail() : detail;
      before?.();
      try {
        this.dispatchEvent(sdEvent(type, value));
      } finally {
        after?.(value);
      }
    });
    this.#events = next.catch(() => undefined);
    return this.#events;
  }

  // ---- view ----

  #setBusy(busy: boolean): void {
    this.toggleAttribute('busy', busy);
    if (busy) this.removeAttribute('data-failed');
    this.#button.disabled = busy;
    this.#cancelButton.hidden = !busy;
    this.#progress.hidden = !busy;
  }

  /** `step`/`total` null: leave the bar; total 0: an indeterminate bar. */
  #showStatus(text: string, step: number | null, total: number | null): void {
    this.#status.textContent = text;
    if (step === null || total === null) return;
    if (total > 0) this.#progress.value = Math.min(1, step / total);
    else this.#progress.removeAttribute('value');
  }

  #syncPrompt(): void {
    if (this.#prompt.value !== this.prompt) this.#prompt.value = this.prompt;
  }

  #syncAspect(width: number | null, height: number | null): void {
    if (width && height && Number.isFinite(width / height)) this.#stage.style.setProperty('--sd-aspect', `${width} / ${height}`);
  }

  #drawPreview(bitmap: ImageBitmap): void {
    this.#canvas.width = bitmap.width;
    this.#canvas.height = bitmap.height;
    this.#canvas.getContext('2d')?.drawImage(bitmap, 0, 0);
    this.#canvas.hidden = false;
  }

  /** Shows the PNG once it is decoded (the last preview stays until then); a picture that fails to decode still shows its alt text. */
  async #showImage(blob: Blob, alt: string): Promise<void> {
    this.#revokeImage();
    this.#imageUrl = URL.createObjectURL(blob);
    this.#image.src = this.#imageUrl;
    this.#image.alt = alt;
    await this.#image.decode().catch(() => undefined);
    this.#image.hidden = false;
    this.#canvas.hidden = true;
  }

  #revokeImage(): void {
    if (this.#imageUrl) URL.revokeObjectURL(this.#imageUrl);
    this.#imageUrl = null;
  }
}

/** The attribute-backed properties (properties.ts): their accessors, and their types, from the table. */
export interface SdTextToImageElement extends Omit<AttributeProperties, 'strength'> {
  /** How much of the init image is repainted, (0, 1]; 0.75 when the attribute is absent (NaN when it is not a number). */
  get strength(): number;
  set strength(value: number | null);
}
defineAttributeProperties(SdTextToImageElement.prototype);

declare global {
  interface HTMLElementTagNameMap {
    'sd-text-to-image': SdTextToImageElement;
  }
}
