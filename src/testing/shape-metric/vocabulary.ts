/**
 * What a shapes-sd picture can show and a prompt can ask for: the palette, the five shapes and the
 * position words, as fixtures/shapes-refs/train_shapes.py defines them (`COLORS`, `SHAPES`, `POSW`; also metrics.json `data`).
 */
export const COLOR_NAMES = ['red', 'green', 'blue', 'yellow', 'purple', 'orange', 'white', 'black'] as const;
export type ColorName = (typeof COLOR_NAMES)[number];

/** train_shapes.py `COLORS` (also metrics.json `data.colors`): the palette in 0-255 RGB. */
export const PALETTE_255: Readonly<Record<ColorName, readonly [number, number, number]>> = {
  red: [220, 30, 30],
  green: [30, 170, 50],
  blue: [30, 70, 230],
  yellow: [250, 230, 40],
  purple: [140, 50, 180],
  orange: [255, 130, 0],
  white: [245, 245, 245],
  black: [15, 15, 15],
};

export const SHAPE_NAMES = ['circle', 'square', 'triangle', 'cross', 'star'] as const;
export type ShapeName = (typeof SHAPE_NAMES)[number];

/** train_shapes.py `POSW` (position classes 1-5); 'center' is never checked, like pos_ok's class 5. */
export const POSITION_WORDS = {
  left: 'on the left',
  right: 'on the right',
  top: 'at the top',
  bottom: 'at the bottom',
  center: 'in the center',
} as const;
export type PositionName = keyof typeof POSITION_WORDS;
