/**
 * The inpainting mask as the painter edits it: one byte per pixel of the init image (1 = repaint,
 * 0 = keep); round brush dabs along a stroke, eraser, clear, invert; the RGBA picture the engine takes
 * (opaque white = repaint, black = keep: core/mask.ts binarises luma at 0.5); and the pointer's page
 * position in image pixels. Pure data and arithmetic, no DOM (mask-bitmap-view.ts draws it and feeds it
 * pointer events).
 */
import type { RgbaImage } from '../core/init-image.js';

export interface Point {
  x: number;
  y: number;
}

/** A pointer's client position in image pixels, for an element showing `size` pixels stretched over `rect`. */
export function toImagePoint(
  client: Point,
  rect: { left: number; top: number; width: number; height: number },
  size: { width: number; height: number },
): Point {
  return { x: ((client.x - rect.left) / rect.width) * size.width, y: ((client.y - rect.top) / rect.height) * size.height };
}

export class MaskBitmap {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
      throw new RangeError(`A mask needs a positive whole size (got ${width}x${height}).`);
    this.data = new Uint8Array(width * height);
  }

  /**
   * A dab: every pixel whose centre (i + 0.5, j + 0.5) lies within `radius` of (x, y) becomes
   * `value` (1 paint, 0 erase). A dab smaller than a pixel still takes the pixel under it.
   */
  dab(x: number, y: number, radius: number, value: 0 | 1): void {
    const r2 = radius * radius;
    const under = [Math.floor(x), Math.floor(y)];
    for (let j = Math.max(0, Math.floor(y - radius)); j <= Math.min(this.height - 1, Math.floor(y + radius)); j++) {
      for (let i = Math.max(0, Math.floor(x - radius)); i <= Math.min(this.width - 1, Math.floor(x + radius)); i++) {
        if ((i + 0.5 - x) ** 2 + (j + 0.5 - y) ** 2 <= r2) this.data[j * this.width + i] = value;
      }
    }
    if (under[0] >= 0 && under[0] < this.width && under[1] >= 0 && under[1] < this.height) this.data[under[1] * this.width + under[0]] = value;
  }

  /** Dabs at most a quarter radius (and half a pixel) apart from `from` to `to`: no gaps however fast the pointer moved. */
  stroke(from: Point, to: Point, radius: number, value: 0 | 1): void {
    const spacing = Math.max(0.5, radius / 4);
    const steps = Math.max(1, Math.ceil(Math.hypot(to.x - from.x, to.y - from.y) / spacing));
    for (let s = 0; s <= steps; s++) this.dab(from.x + ((to.x - from.x) * s) / steps, from.y + ((to.y - from.y) * s) / steps, radius, value);
  }

  clear(): void {
    this.data.fill(0);
  }

  invert(): void {
    for (let i = 0; i < this.data.length; i++) this.data[i] ^= 1;
  }

  /** How many pixels are marked for repainting. */
  get painted(): number {
    let count = 0;
    for (const v of this.data) count += v;
    return count;
  }

  /** Opaque white (repaint) / black (keep) RGBA at the image's size: what the engine and the mask download get. */
  toRgba(): RgbaImage {
    const data = new Uint8ClampedArray(this.data.length * 4);
    for (let i = 0; i < this.data.length; i++) {
      const v = this.data[i] * 255;
      data[i * 4] = v;
      data[i * 4 + 1] = v;
      data[i * 4 + 2] = v;
      data[i * 4 + 3] = 255;
    }
    return { width: this.width, height: this.height, data };
  }
}
