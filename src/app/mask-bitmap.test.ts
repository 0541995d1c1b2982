/**
 * The painter's mask: dab and stroke geometry (pixel centres within the brush radius, counted by hand
 * below), the eraser, clear, invert, the pointer-to-pixel mapping, and that the RGBA it hands the
 * engine reads back, through the engine's own binarisation (core/mask.ts), as exactly what was painted.
 */
import { describe, expect, it } from 'vitest';
import { binaryMask } from '../core/mask.js';
import { MaskBitmap, toImagePoint } from './mask-bitmap.js';

const ones = (m: MaskBitmap) => [...m.data.keys()].filter((k) => m.data[k] === 1).map((k) => [k % m.width, Math.floor(k / m.width)]);

describe('MaskBitmap', () => {
  it('a dab takes the pixels whose centres are within the radius', () => {
    const m = new MaskBitmap(8, 8);
    m.dab(4, 4, 2, 1);
    // centres at offsets (±0.5, ±0.5) (distance² 0.5) and (±0.5, ±1.5), (±1.5, ±0.5) (2.5); (±1.5, ±1.5) is 4.5 > 4
    expect(ones(m)).toEqual([
      [3, 2],
      [4, 2],
      [2, 3],
      [3, 3],
      [4, 3],
      [5, 3],
      [2, 4],
      [3, 4],
      [4, 4],
      [5, 4],
      [3, 5],
      [4, 5],
    ]);
  });

  it('clips dabs at the edges, and a dab smaller than a pixel still marks the pixel under it', () => {
    const m = new MaskBitmap(4, 4);
    m.dab(0, 0, 1, 1); // only (0, 0)'s centre (0.5, 0.5) is within 1 of the corner
    expect(ones(m)).toEqual([[0, 0]]);
    m.dab(3.9, 2.1, 0.1, 1);
    expect(ones(m)).toEqual([
      [0, 0],
      [3, 2],
    ]);
    m.dab(-5, -5, 2, 1);
    expect(m.painted).toBe(2);
  });

  it('a fast stroke (two far points) leaves no gap; the eraser clears along its own path', () => {
    const m = new MaskBitmap(64, 9);
    m.stroke({ x: 2, y: 4.5 }, { x: 60, y: 4.5 }, 1.2, 1);
    // rows 3, 4, 5 from x = 1 to 60 (row 4: centres within 1.2 of [2, 60]; rows 3 and 5: within 0.66 of a dab)
    expect(m.painted).toBe(3 * 60);
    for (const y of [3, 4, 5]) for (let x = 1; x <= 60; x++) expect(m.data[y * 64 + x]).toBe(1);
    m.stroke({ x: 20.5, y: 4.5 }, { x: 29.5, y: 4.5 }, 3, 0);
    // erased: row 4 where |x + 0.5 - [20.5, 29.5]| <= 3 (17..32); rows 3 and 5 where dx² + 1 <= 9 (18..31)
    const erased = (x: number, y: number) => (y === 4 ? x >= 17 && x <= 32 : x >= 18 && x <= 31);
    for (const y of [3, 4, 5]) for (let x = 1; x <= 60; x++) expect(m.data[y * 64 + x]).toBe(erased(x, y) ? 0 : 1);
  });

  it('invert flips every pixel, twice is the identity; clear empties', () => {
    const m = new MaskBitmap(8, 8);
    m.stroke({ x: 1, y: 1 }, { x: 6, y: 5 }, 1.5, 1);
    const painted = [...m.data];
    m.invert();
    expect([...m.data]).toEqual(painted.map((v) => 1 - v));
    expect(m.painted).toBe(64 - painted.filter(Boolean).length);
    m.invert();
    expect([...m.data]).toEqual(painted);
    m.clear();
    expect(m.painted).toBe(0);
  });

  it("hands the engine opaque white where painted, which the engine's binarisation reads back exactly", () => {
    const m = new MaskBitmap(13, 7); // a size off the 8-pixel grid
    m.stroke({ x: 0, y: 0 }, { x: 12, y: 6 }, 2, 1);
    const rgba = m.toRgba();
    expect([rgba.width, rgba.height, rgba.data.length]).toEqual([13, 7, 13 * 7 * 4]);
    expect([...binaryMask(rgba)]).toEqual([...m.data]);
    expect(new Set(rgba.data)).toEqual(new Set([0, 255]));
  });

  it('refuses a size that is not a positive whole number', () => {
    expect(() => new MaskBitmap(0, 4)).toThrow('A mask needs a positive whole size (got 0x4).');
  });
});

describe('toImagePoint', () => {
  it('maps a client position over a stretched canvas to image pixels', () => {
    const rect = { left: 100, top: 50, width: 320, height: 160 };
    expect(toImagePoint({ x: 100, y: 50 }, rect, { width: 128, height: 64 })).toEqual({ x: 0, y: 0 });
    expect(toImagePoint({ x: 260, y: 90 }, rect, { width: 128, height: 64 })).toEqual({ x: 64, y: 16 });
    expect(toImagePoint({ x: 420, y: 210 }, rect, { width: 128, height: 64 })).toEqual({ x: 128, y: 64 });
  });
});
