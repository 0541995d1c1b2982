/**
 * shapes-sd prompts: fixtures/shapes-refs/train_shapes.py `caption` (the training captions' eight templates) and the
 * reverse, what a prompt asks for.
 */
import { COLOR_NAMES, POSITION_WORDS, SHAPE_NAMES, type ColorName, type PositionName, type ShapeName } from './vocabulary.js';

export interface PromptSpec {
  /** The shape's colour; null when the prompt names none ("a circle on a blue background"). */
  color: ColorName | null;
  shape: ShapeName;
  /** The background colour; null when the prompt names none ("a red circle"). */
  bg: ColorName | null;
  /** null: no position words. */
  position: PositionName | null;
}

const article = (word: string): string => ('aeiou'.includes(word[0]) ? 'an' : 'a');

/**
 * train_shapes.py caption(t, c, s, b, p): the eight caption templates of the training data (template 0 is the
 * prompt form "a {color} {shape}[ {position},] on a {color} background"). Templates that name no colour or no
 * background need `color` or `bg` only for the others.
 */
export function caption(template: number, spec: PromptSpec): string {
  const { shape } = spec;
  const C = spec.color ?? '';
  const B = spec.bg ?? '';
  const P = spec.position ? POSITION_WORDS[spec.position] : '';
  const sp = P ? ` ${P},` : '';
  const sq = P ? ` ${P}` : '';
  const needs = (color: boolean, bg: boolean) => {
    if ((color && !C) || (bg && !B)) throw new RangeError(`caption template ${template} needs ${color && !C ? 'a shape colour' : 'a background colour'}`);
  };
  switch (template) {
    case 0:
      needs(true, true);
      return `${article(C)} ${C} ${shape}${sp} on ${article(B)} ${B} background`;
    case 1:
      needs(true, true);
      return `a photo of ${article(C)} ${C} ${shape}${sp} on ${article(B)} ${B} background`;
    case 2:
      needs(true, true);
      return `a drawing of ${article(C)} ${C} ${shape}${sp} on ${article(B)} ${B} background`;
    case 3:
      needs(true, true);
      return `${C} ${shape}${sq}, ${B} background`;
    case 4:
      needs(true, true);
      return `${article(C)} ${C} ${shape}${sp} on ${B}`;
    case 5:
      needs(true, true);
      return `${article(B)} ${B} background with ${article(C)} ${C} ${shape}${sq}`;
    case 6:
      needs(true, false);
      return `${article(C)} ${C} ${shape}${sq}`;
    case 7:
      needs(false, true);
      return `${article(shape)} ${shape}${sp} on ${article(B)} ${B} background`;
    default:
      throw new RangeError(`caption templates are 0-7, not ${template}`);
  }
}

const COLOR_RE = COLOR_NAMES.join('|');
const SHAPE_RE = SHAPE_NAMES.join('|');
const POSITION_RE = Object.values(POSITION_WORDS).join('|');

/**
 * What a shapes-sd prompt asks for, for any of caption()'s templates: the shape word, the colour word right
 * before it, the background ("<colour> background", or "on <colour>" at the end) and the position words.
 */
export function parsePrompt(prompt: string): PromptSpec {
  const text = prompt.trim().toLowerCase().replace(/\s+/g, ' ');
  const shapes = text.match(new RegExp(`\\b(${SHAPE_RE})\\b`, 'g')) ?? [];
  if (shapes.length !== 1) {
    throw new RangeError(`"${prompt}" is not a shapes-sd prompt: name exactly one of ${SHAPE_NAMES.join(', ')}, as in "a red circle on a blue background"`);
  }
  const shape = shapes[0] as ShapeName;
  const color = text.match(new RegExp(`\\b(${COLOR_RE}) ${shape}\\b`))?.[1] as ColorName | undefined;
  const bg = (text.match(new RegExp(`\\b(${COLOR_RE}) background\\b`)) ?? text.match(new RegExp(`\\bon (${COLOR_RE})$`)))?.[1] as ColorName | undefined;
  const words = text.match(new RegExp(`\\b(${POSITION_RE})\\b`))?.[1];
  const position = words ? ((Object.keys(POSITION_WORDS) as PositionName[]).find((k) => POSITION_WORDS[k] === words) ?? null) : null;
  return { color: color ?? null, shape, bg: bg ?? null, position };
}
