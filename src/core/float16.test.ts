import { describe, expect, it } from 'vitest';
import { float16ToFloat32, float32ToFloat16, fromFloat16Bits, toFloat16Bits } from './float16.js';

// Reference bit patterns from IEEE 754 binary16 (checked against numpy.float16(x).view(uint16)).
describe('float16', () => {
  it('converts known values exactly', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [2 ** -24, 0x0001],
      [2 ** -14, 0x0400],
      [0.1, 0x2e66],
      [999, 0x63ce],
      [1e6, 0x7c00],
    ];
    for (const [value, bits] of cases) {
      expect(toFloat16Bits(value)).toBe(bits);
      if (Number.isFinite(fromFloat16Bits(bits)) && value <= 65504) expect(fromFloat16Bits(bits)).toBeCloseTo(value, 3);
    }
  });

  it('rounds half to even', () => {
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even (down)
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
  });

  it('round-trips every finite half', () => {
    const bits = new Uint16Array(0x7c00);
    for (let i = 0; i < bits.length; i++) bits[i] = i;
    expect(Array.from(float32ToFloat16(float16ToFloat32(bits)))).toEqual(Array.from(bits));
  });
});
