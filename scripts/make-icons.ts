/**
 * Draws the web app's icons and writes them as PNGs with the project's own encoder (src/core/png.ts):
 *
 *   public/icons/icon-192.png, icon-512.png   purpose "any": a rounded tile with a circle and a triangle
 *   public/icons/icon-maskable-512.png        purpose "maskable": full-bleed background, the shapes
 *                                             inside the central 80% safe zone
 *
 * The picture is the bundled demo's world (coloured shapes on a background). Each pixel averages a
 * 4x4 grid of samples, for smooth edges. Run: npx tsx scripts/make-icons.ts (the PNGs are committed).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodePng } from '../src/core/png.js';

type Rgba = [number, number, number, number];
const TOP: Rgba = [79, 70, 229, 255]; // #4f46e5, the theme colour
const BOTTOM: Rgba = [124, 58, 237, 255]; // #7c3aed
const CIRCLE: Rgba = [250, 204, 21, 255]; // yellow
const TRIANGLE: Rgba = [255, 255, 255, 255];
const CLEAR: Rgba = [0, 0, 0, 0];

/** The colour at (x, y) in unit coordinates [0, 1)^2; `scale` shrinks the shapes about the centre, `rounded` clips to a rounded tile. */
function shade(x: number, y: number, scale: number, rounded: boolean): Rgba {
  if (rounded) {
    const r = 0.18; // corner radius
    const cx = Math.min(Math.max(x, r), 1 - r);
    const cy = Math.min(Math.max(y, r), 1 - r);
    if ((x - cx) ** 2 + (y - cy) ** 2 > r * r) return CLEAR;
  }
  // Shapes in a frame shrunk about the centre.
  const u = (x - 0.5) / scale + 0.5;
  const v = (y - 0.5) / scale + 0.5;
  if ((u - 0.4) ** 2 + (v - 0.42) ** 2 < 0.22 ** 2) return CIRCLE;
  // A triangle overlapping the circle's lower right.
  const [ax, ay, bx, by, cx, cy] = [0.66, 0.4, 0.9, 0.82, 0.42, 0.82];
  const side = (px: number, py: number, qx: number, qy: number) => (qx - px) * (v - py) - (qy - py) * (u - px);
  const s1 = side(ax, ay, bx, by);
  const s2 = side(bx, by, cx, cy);
  const s3 = side(cx, cy, ax, ay);
  if ((s1 >= 0 && s2 >= 0 && s3 >= 0) || (s1 <= 0 && s2 <= 0 && s3 <= 0)) return TRIANGLE;
  const t = (x + y) / 2;
  return TOP.map((c, i) => Math.round(c + (BOTTOM[i] - c) * t)) as Rgba;
}

export function drawIcon(size: number, options: { maskable: boolean }): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(size * size * 4);
  const n = 4; // samples per axis
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const colour = shade((px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size, options.maskable ? 0.7 : 0.85, !options.maskable);
          // Premultiplied, so transparent samples do not darken edges.
          for (let i = 0; i < 3; i++) sum[i] += (colour[i] * colour[3]) / 255;
          sum[3] += colour[3];
        }
      }
      const o = (py * size + px) * 4;
      const alpha = sum[3] / (n * n);
      for (let i = 0; i < 3; i++) rgba[o + i] = alpha > 0 ? Math.round((sum[i] / (n * n)) * (255 / alpha)) : 0;
      rgba[o + 3] = Math.round(alpha);
    }
  }
  return rgba;
}

const out = fileURLToPath(new URL('../public/icons/', import.meta.url));
mkdirSync(out, { recursive: true });
for (const [name, size, maskable] of [
  ['icon-192.png', 192, false],
  ['icon-512.png', 512, false],
  ['icon-maskable-512.png', 512, true],
] as const) {
  const png = await encodePng(drawIcon(size, { maskable }), size, size, { dropOpaqueAlpha: true });
  writeFileSync(out + name, png);
  console.log(`${name}: ${size}x${size}, ${png.length} bytes`);
}
