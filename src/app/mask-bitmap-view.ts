/**
 * The picture to start from, on the page, with the inpainting mask over it: two stacked canvases at
 * the picture's own resolution (the picture; the mask, painted pixels opaque in pink and white
 * stripes, shown translucent by CSS), stretched to the panel's width, and a round brush outline that follows the pointer.
 * Painting uses Pointer Events, so mouse, pen and touch paint alike (`touch-action: none` keeps a
 * finger from scrolling the page; one pointer paints at a time, a second finger is ignored). Strokes
 * go to MaskBitmap (mask-bitmap.ts), whose pixels are exactly the mask the engine gets.
 */
import type { RgbaImage } from '../core/init-image.js';
import { MaskBitmap, toImagePoint, type Point } from './mask-bitmap.js';

export interface MaskPainterOptions {
  picture: HTMLCanvasElement;
  mask: HTMLCanvasElement;
  cursor: HTMLElement;
  /** Brush diameter in picture pixels. */
  brushSize(): number;
  eraser(): boolean;
  /** Painting is on (inpaint) or off (image to image shows the picture only). */
  enabled(): boolean;
  /** After each stroke, clear or invert. */
  onChange(mask: MaskBitmap): void;
}

/**
 * Painted pixels are drawn in diagonal stripes of two colours (the canvas is shown at the CSS opacity
 * of `.mask-layer`), so the mask shows on a picture of any colour, its own included.
 */
const STRIPES = [
  [255, 0, 160],
  [255, 255, 255],
] as const;

export class MaskPainter {
  #image: RgbaImage | null = null;
  #mask: MaskBitmap | null = null;
  #pointer: { id: number; last: Point } | null = null;
  readonly #options: MaskPainterOptions;

  constructor(options: MaskPainterOptions) {
    this.#options = options;
    const { mask: canvas } = options;
    canvas.addEventListener('pointerdown', (event) => {
      if (!this.#mask || !options.enabled() || this.#pointer || event.button !== 0) return;
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      const point = this.#toImage(event);
      this.#pointer = { id: event.pointerId, last: point };
      this.#paint(point, point);
    });
    canvas.addEventListener('pointermove', (event) => {
      this.#moveCursor(event);
      if (this.#pointer?.id !== event.pointerId) return;
      // Coalesced events: every position the pointer passed since the last frame, not only the last.
      for (const e of event.getCoalescedEvents?.() ?? [event]) {
        const point = this.#toImage(e);
        this.#paint(this.#pointer.last, point);
        this.#pointer.last = point;
      }
    });
    const end = (event: PointerEvent) => {
      if (this.#pointer?.id !== event.pointerId) return;
      this.#pointer = null;
      if (this.#mask) options.onChange(this.#mask);
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    canvas.addEventListener('pointerleave', () => (options.cursor.hidden = true));
  }

  get image(): RgbaImage | null {
    return this.#image;
  }

  get bitmap(): MaskBitmap | null {
    return this.#mask;
  }

  /** A new picture (and an empty mask of its size), or none. */
  setImage(image: RgbaImage | null): void {
    this.#image = image;
    this.#mask = image ? new MaskBitmap(image.width, image.height) : null;
    this.#pointer = null;
    const { picture, mask } = this.#options;
    if (image) {
      for (const canvas of [picture, mask]) {
        canvas.width = image.width;
        canvas.height = image.height;
      }
      picture.style.aspectRatio = `${image.width} / ${image.height}`;
      const pixels = new ImageData(image.width, image.height);
      pixels.data.set(image.data);
      picture.getContext('2d')!.putImageData(pixels, 0, 0);
    }
    this.redraw();
  }

  clear(): void {
    this.#mask?.clear();
    this.#changed();
  }

  invert(): void {
    this.#mask?.invert();
    this.#changed();
  }

  /** Draws the mask layer (hidden when painting is off). */
  redraw(): void {
    const mask = this.#mask;
    const canvas = this.#options.mask;
    canvas.hidden = !mask || !this.#options.enabled();
    if (!mask || canvas.hidden) return;
    const pixels = new ImageData(mask.width, mask.height);
    const period = Math.max(2, Math.round(Math.max(mask.width, mask.height) / 32)); // stripes ~1/64 of the picture wide
    for (let i = 0; i < mask.data.length; i++) {
      if (!mask.data[i]) continue;
      const x = i % mask.width;
      const y = (i - x) / mask.width;
      pixels.data.set(STRIPES[Math.floor((x + y) / period) % 2], i * 4);
      pixels.data[i * 4 + 3] = 255;
    }
    canvas.getContext('2d')!.putImageData(pixels, 0, 0);
  }

  #changed(): void {
    this.redraw();
    if (this.#mask) this.#options.onChange(this.#mask);
  }

  #toImage(event: PointerEvent): Point {
    const { width, height } = this.#options.mask;
    return toImagePoint({ x: event.clientX, y: event.clientY }, this.#options.mask.getBoundingClientRect(), { width, height });
  }

  #paint(from: Point, to: Point): void {
    this.#mask?.stroke(from, to, this.#options.brushSize() / 2, this.#options.eraser() ? 0 : 1);
    this.redraw();
  }

  /** The brush outline at the pointer, at the brush's size on screen. */
  #moveCursor(event: PointerEvent): void {
    const { cursor, mask } = this.#options;
    if (!this.#mask || !this.#options.enabled() || event.pointerType === 'touch') {
      cursor.hidden = true;
      return;
    }
    const rect = mask.getBoundingClientRect();
    const diameter = (this.#options.brushSize() * rect.width) / mask.width;
    cursor.hidden = false;
    cursor.style.width = cursor.style.height = `${diameter}px`;
    cursor.style.left = `${event.clientX - rect.left - diameter / 2}px`;
    cursor.style.top = `${event.clientY - rect.top - diameter / 2}px`;
    cursor.classList.toggle('erasing', this.#options.eraser());
  }
}
