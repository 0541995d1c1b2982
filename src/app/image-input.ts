/**
 * The "Start from a picture" panel: the mode (text to image / image to image / inpaint), the picture
 * (picked with the file input, dropped on the picture box, or a gallery image's "Use as input"),
 * decoded by src/browser/decode-image.ts; the denoising strength (a slider and a number box, the
 * number box being the form field: a restored 1.5 stays 1.5 and is refused, not clamped); the mask
 * painter's tools (brush size, eraser, clear, invert) and "Download mask" (the exact mask the engine
 * gets, as a PNG for the CLI or AUTOMATIC1111). `inputs()` is what a request takes from here.
 */
import { encodePng } from '../core/png.js';
import { decodeImageSource, type ImageSource } from '../browser/decode-image.js';
import { emitAppEvent } from './app-events.js';
import { byId } from './dom.js';
import type { ImageMode, PictureInputs } from './form-values.js';
import type { MaskBitmap } from './mask-bitmap.js';
import { MaskPainter } from './mask-bitmap-view.js';

export interface ImageInputOptions {
  /** A picture was set (its size is the output's) or removed (null). */
  onInitImage(size: { width: number; height: number } | null): void;
}

export class ImageInputPanel {
  readonly #mode = byId('mode', HTMLSelectElement);
  readonly #controls = byId('image-controls', HTMLElement);
  readonly #maskControls = byId('mask-controls', HTMLElement);
  readonly #drop = byId('picture-drop', HTMLElement);
  readonly #empty = byId('picture-empty', HTMLElement);
  readonly #painterBox = byId('painter', HTMLElement);
  readonly #file = byId('init-image-input', HTMLInputElement);
  readonly #strength = byId('strength', HTMLInputElement);
  readonly #strengthRange = byId('strength-range', HTMLInputElement);
  readonly #brush = byId('brush-size', HTMLInputElement);
  readonly #brushValue = byId('brush-size-value', HTMLOutputElement);
  readonly #eraser = byId('mask-eraser', HTMLInputElement);
  readonly #maskCount = byId('mask-count', HTMLElement);
  readonly #message = byId('image-message', HTMLElement);
  readonly #maskLayer = byId('mask-canvas', HTMLCanvasElement);
  readonly #painter: MaskPainter;
  readonly #options: ImageInputOptions;
  #name = '';

  constructor(options: ImageInputOptions) {
    this.#options = options;
    this.#painter = new MaskPainter({
      picture: byId('picture-canvas', HTMLCanvasElement),
      mask: this.#maskLayer,
      cursor: byId('brush-cursor', HTMLElement),
      brushSize: () => Number(this.#brush.value),
      eraser: () => this.#eraser.checked,
      enabled: () => this.mode === 'inpaint',
      onChange: (mask) => this.#maskChanged(mask),
    });
    this.#mode.addEventListener('change', () => this.#showMode());
    this.#file.addEventListener('change', () => {
      const file = this.#file.files?.[0];
      this.#file.value = '';
      if (file) void this.setPicture(file, `"${file.name}"`);
    });
    // A file dropped on the picture box is the picture; the page's own drop handler (PNG parameters)
    // sees the event as handled (defaultPrevented) and leaves it.
    this.#drop.addEventListener('dragover', (event) => event.preventDefault());
    this.#drop.addEventListener('drop', (event) => {
      const file = event.dataTransfer?.files[0];
      if (!file) return;
      event.preventDefault();
      void this.setPicture(file, `"${file.name}"`);
    });
    this.#strength.addEventListener('input', () => {
      if (this.#strength.value !== '') this.#strengthRange.value = this.#strength.value;
    });
    this.#strengthRange.addEventListener('input', () => (this.#strength.value = this.#strengthRange.value));
    this.#brush.addEventListener('input', () => (this.#brushValue.value = this.#brush.value));
    byId('mask-clear', HTMLButtonElement).addEventListener('click', () => this.#painter.clear());
    byId('mask-invert', HTMLButtonElement).addEventListener('click', () => this.#painter.invert());
    byId('mask-download', HTMLButtonElement).addEventListener('click', () => void this.#downloadMask());
    this.#showMode();
  }

  get mode(): ImageMode {
    return this.#mode.value as ImageMode;
  }

  /** The picture and the painted mask (null when nothing is painted), for the request. */
  inputs(): PictureInputs {
    const bitmap = this.#painter.bitmap;
    return { initImage: this.#painter.image, mask: bitmap && bitmap.painted > 0 ? bitmap.toRgba() : null };
  }

  /**
   * Decodes `source` (`what` names it in messages) as the picture to start from; in text-to-image
   * mode it switches to image to image. A file that does not decode is said here, and the picture
   * shown before stays.
   */
  async setPicture(source: ImageSource, what: string): Promise<void> {
    this.#message.textContent = `Reading ${what}…`;
    this.#message.dataset.level = 'info';
    try {
      const image = await decodeImageSource(source, what);
      this.#name = what;
      this.#painter.setImage(image);
      this.#maskChanged(this.#painter.bitmap!); // a new, empty mask
      if (this.mode === 'txt2img') this.#mode.value = 'img2img';
      this.#message.textContent = `${what}, ${image.width}x${image.height}: the output takes this size.`;
      this.#showMode();
      this.#drop.removeAttribute('aria-invalid');
      emitAppEvent('sd-app:picture', { width: image.width, height: image.height });
    } catch (error) {
      this.#message.textContent = (error as Error).message;
      this.#message.dataset.level = 'error';
    }
  }

  /** Says the picture's size again (after restored parameters or a model's settings wrote the size fields). */
  sync(): void {
    this.#showMode();
  }

  #showMode(): void {
    const mode = this.mode;
    if (this.#strength.value !== '') this.#strengthRange.value = this.#strength.value;
    const hasImage = this.#painter.image !== null;
    this.#controls.hidden = mode === 'txt2img';
    this.#maskControls.hidden = mode !== 'inpaint' || !hasImage;
    this.#painterBox.hidden = !hasImage;
    this.#empty.hidden = hasImage;
    this.#painter.redraw();
    document.body.dataset.mode = mode;
    this.#options.onInitImage(mode !== 'txt2img' && this.#painter.image ? { width: this.#painter.image.width, height: this.#painter.image.height } : null);
  }

  #maskChanged(mask: MaskBitmap): void {
    const share = Math.round((100 * mask.painted) / mask.data.length);
    this.#maskCount.textContent = mask.painted === 0 ? 'Nothing painted yet.' : `${mask.painted} pixels (${share} %) to repaint.`;
    if (mask.painted > 0) this.#maskLayer.removeAttribute('aria-invalid'); // "paint something" is answered
    this.#painter.redraw();
    emitAppEvent('sd-app:mask', { width: mask.width, height: mask.height, painted: mask.painted });
  }

  /** The mask as a PNG (white = repaint, at the picture's size), downloaded through a temporary link. */
  async #downloadMask(): Promise<void> {
    const mask = this.#painter.bitmap;
    if (!mask) return;
    const { data, width, height } = mask.toRgba();
    const png = await encodePng(data, width, height);
    const url = URL.createObjectURL(new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `mask-${this.#name.replace(/[^a-z0-9]+/gi, '-').replace(/^-+|-+$/g, '') || 'picture'}-${width}x${height}.png`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}
