/**
 * The stage canvas: live previews (latent-resolution RGB, drawn scaled up with smoothing) while
 * denoising, then the final image at full size. Latent previews are 8x smaller than the image, so the
 * canvas keeps the image's size and the preview is stretched onto it.
 */
import type { Preview } from '../engine/events.js';

export class PreviewCanvas {
  #canvas: HTMLCanvasElement;
  #context: CanvasRenderingContext2D;
  #scratch: HTMLCanvasElement;

  constructor(canvas: HTMLCanvasElement) {
    this.#canvas = canvas;
    const context = canvas.getContext('2d');
    if (!context) throw new Error('This browser cannot draw on a 2D canvas.');
    this.#context = context;
    this.#scratch = document.createElement('canvas');
  }

  get canvas(): HTMLCanvasElement {
    return this.#canvas;
  }

  /** Sets the canvas to the size of the image being made (previews are scaled onto it). */
  resize(width: number, height: number): void {
    if (this.#canvas.width !== width || this.#canvas.height !== height) {
      this.#canvas.width = width;
      this.#canvas.height = height;
    }
    this.#canvas.style.aspectRatio = `${width} / ${height}`;
  }

  preview(preview: Preview): void {
    this.#scratch.width = preview.width;
    this.#scratch.height = preview.height;
    this.#scratch.getContext('2d')!.putImageData(toImageData(preview.rgba, preview.width, preview.height), 0, 0);
    this.#context.imageSmoothingEnabled = true;
    this.#context.imageSmoothingQuality = 'high';
    this.#context.drawImage(this.#scratch, 0, 0, this.#canvas.width, this.#canvas.height);
    this.#canvas.dataset.kind = preview.kind;
    this.#canvas.dataset.step = String(preview.step);
    this.#canvas.setAttribute('aria-label', `Preview at step ${preview.step} of ${preview.totalSteps}`);
  }

  /** Nothing to show: the picture was withheld by the safety checker (the last preview is cleared too). */
  withheld(description: string): void {
    this.#context.clearRect(0, 0, this.#canvas.width, this.#canvas.height);
    this.#canvas.dataset.kind = 'withheld';
    this.#canvas.setAttribute('aria-label', description);
  }

  /** The finished image, pixel for pixel. */
  image(rgba: Uint8ClampedArray, width: number, height: number, description: string): void {
    this.resize(width, height);
    this.#context.putImageData(toImageData(rgba, width, height), 0, 0);
    this.#canvas.dataset.kind = 'final';
    delete this.#canvas.dataset.step;
    this.#canvas.setAttribute('aria-label', description);
  }
}

function toImageData(rgba: Uint8ClampedArray, width: number, height: number): ImageData {
  // A fresh copy: ImageData needs a Uint8ClampedArray over its own ArrayBuffer (not a shared or offset view).
  return new ImageData(new Uint8ClampedArray(rgba), width, height);
}
