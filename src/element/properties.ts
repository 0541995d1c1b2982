/**
 * The attribute-backed properties of <sd-text-to-image>, as one table: for each property its attribute,
 * how it reads and writes the attribute (its kind and default) and its documentation. The element
 * defines its accessors from it (defineAttributeProperties), its observedAttributes and the attributes
 * a generation reads come from it, and scripts/custom-elements.ts writes the manifest's attributes and
 * fields from it. initImage / mask (a Blob or ImageBitmap, or the attribute's URL) and the read-only
 * busy are the element's own accessors (sd-text-to-image.ts).
 */
import { formatDecimal } from '../core/decimal.js';
import { DEFAULT_MODEL, DEFAULT_PROMPT_SYNTAX, DEFAULT_STRENGTH, parseNumberAttribute, parseSwitchAttribute } from './settings.js';

/**
 * How a property reads and writes its attribute:
 * - text: a string; an absent attribute reads as the default ('' without one).
 * - optional-text: a string or null; null removes the attribute.
 * - number: a number (parseNumberAttribute: plain decimal digits only, NaN for anything else, `0x80` and `1e3` included) or null;
 *   null removes the attribute; the setter writes decimal digits (formatDecimal).
 *   With a default, an absent attribute reads as the default (the getter's type is then `number`; the setter still takes null).
 * - switch: boolean, off when absent; present is on, save "off" / "false". true sets it (""), false removes it.
 * - default-on-switch: boolean, on when absent; true removes the attribute, false sets "off".
 */
export type AttributeKind = 'text' | 'optional-text' | 'number' | 'switch' | 'default-on-switch';

export interface AttributeProperty {
  readonly property: string;
  readonly attribute: string;
  readonly kind: AttributeKind;
  readonly default?: string | number;
  /** Read into the generation request (requestFromAttributes), from a snapshot taken when generate() starts. */
  readonly request?: boolean;
  /** false: not in observedAttributes (the element needs no callback; it reads the attribute when a generation starts). */
  readonly observed?: boolean;
  /** The attribute's description (custom-elements.json). */
  readonly description: string;
  /** The property's own note (custom-elements.json), where it has one. */
  readonly note?: string;
}

const SIZE =
  "image size in pixels, multiples of the model's size multiple (8 x 2^UNet down-samplings: 32 for shapes-sd, 64 for SD v1.4). Properties: `width`, `height: number | null`. " +
  "Absent number attributes (null properties) mean the model's recommendation, else diffusers' defaults.";

const TABLE = [
  {
    property: 'model',
    attribute: 'model',
    kind: 'text',
    default: DEFAULT_MODEL,
    description:
      "a preset id ('shapes-sd', the demo shipped next to the library) or the URL of a model folder in diffusers' ONNX layout (Stable Diffusion v1.4: your folder made with tools/prepare_model.py). Default 'shapes-sd'. Property: `model: string`.",
  },
  {
    property: 'prompt',
    attribute: 'prompt',
    kind: 'text',
    request: true,
    description: "the text to draw. Property: `prompt: string`. The element's prompt box edits it.",
  },
  {
    property: 'negativePrompt',
    attribute: 'negative-prompt',
    kind: 'text',
    request: true,
    description: 'what to steer away from. Property: `negativePrompt: string`.',
  },
  {
    property: 'promptSyntax',
    attribute: 'prompt-syntax',
    kind: 'text',
    default: DEFAULT_PROMPT_SYNTAX,
    request: true,
    description:
      "a1111 (default: AUTOMATIC1111's `(word:1.3)`, `[word]`, BREAK, prompts past 75 tokens in 77-token chunks) | plain (diffusers: the text as written, cut at 75 tokens). Property: `promptSyntax: string`.",
    note: "'a1111' unless the attribute says otherwise.",
  },
  {
    property: 'scheduler',
    attribute: 'scheduler',
    kind: 'optional-text',
    request: true,
    description: 'pndm | ddim | lms | euler | euler_a | heun | dpmpp_2m | dpmpp_2m_karras | unipc | lcm | tcd. Property: `scheduler: string | null`.',
  },
  {
    property: 'steps',
    attribute: 'steps',
    kind: 'number',
    request: true,
    description: "denoising steps (1-1000; the request's numInferenceSteps). Property: `steps: number | null`.",
  },
  {
    property: 'guidance',
    attribute: 'guidance',
    kind: 'number',
    request: true,
    description: "classifier-free guidance scale (0-50; the request's guidanceScale). Property: `guidance: number | null`.",
  },
  {
    property: 'eta',
    attribute: 'eta',
    kind: 'number',
    request: true,
    description: "DDIM's eta / TCD's gamma, 0-1: fresh noise per step (default 0). Property: `eta: number | null`.",
  },
  {
    property: 'timestepSpacing',
    attribute: 'timestep-spacing',
    kind: 'optional-text',
    request: true,
    description: "leading | linspace | trailing: overrides the model's spacing for every scheduler. Property: `timestepSpacing: string | null`.",
  },
  {
    property: 'seed',
    attribute: 'seed',
    kind: 'number',
    request: true,
    description: 'a seed (0 to 2^53-1) that reproduces an image; -1 or absent: a new random seed each time. Property: `seed: number | null`.',
  },
  { property: 'width', attribute: 'width', kind: 'number', request: true, description: SIZE },
  { property: 'height', attribute: 'height', kind: 'number', request: true, description: SIZE },
  {
    property: 'strength',
    attribute: 'strength',
    kind: 'number',
    default: DEFAULT_STRENGTH,
    request: true,
    description:
      "img2img / inpainting: how much of the picture is repainted, in (0, 1] (1: from noise; diffusers' strength, A1111's denoising strength). Default 0.75. Property: `strength: number`.",
    note: 'How much of the init image is repainted, (0, 1]; 0.75 when the attribute is absent (NaN when it is not a number).',
  },
  {
    property: 'decoder',
    attribute: 'decoder',
    kind: 'optional-text',
    request: true,
    description:
      "full (default: the model's VAE) | tiny (the tiny autoencoder, TAESD, for models with taesd_decoder/: a fraction of the decode time, a little softer). Property: `decoder: string | null`.",
    note: "The final decode: 'full' (the model's VAE, also when absent: null) or 'tiny' (taesd_decoder/).",
  },
  {
    property: 'preview',
    attribute: 'preview',
    kind: 'switch',
    observed: false,
    description:
      'on/off (present = on, "off" = off): draw a preview after every step and fire sd-preview (the tiny decoder\'s full-size picture when the model has taesd_decoder/, else a cheap colour map). Property: `preview: boolean`.',
  },
  {
    property: 'safetyChecker',
    attribute: 'safety-checker',
    kind: 'default-on-switch',
    observed: false,
    description:
      "on (absent: the default) | off: the model folder's safety checker (safety_checker/, as diffusers runs it) judges every picture, and a flagged one is withheld: sd-error with name 'NsfwContentDetectedError', no picture. " +
      'Only the embedding page can turn it off (`safety-checker="off"`); see README.md for diffusers\' licence warning. Property: `safetyChecker: boolean`.',
    note: 'Whether the safety checker runs: on unless the page set `safety-checker="off"` (or "false").',
  },
] as const satisfies readonly AttributeProperty[];

/** The table, in the order custom-elements.json lists it. */
export const ATTRIBUTE_PROPERTIES: readonly AttributeProperty[] = TABLE;

type Row = (typeof TABLE)[number];
type ValueOf<R extends Row> = R['kind'] extends 'text'
  ? string
  : R['kind'] extends 'optional-text'
    ? string | null
    : R['kind'] extends 'number'
      ? R extends { default: number }
        ? number
        : number | null
      : boolean;

/** The properties' types as their getters return them (a number with a default: `number`; its setter also takes null). */
export type AttributeProperties = { [R in Row as R['property']]: ValueOf<R> };

/** The property's type as custom-elements.json writes it (the getter's). */
export function typeText(row: AttributeProperty): string {
  switch (row.kind) {
    case 'text':
      return 'string';
    case 'optional-text':
      return 'string | null';
    case 'number':
      return row.default === undefined ? 'number | null' : 'number';
    default:
      return 'boolean';
  }
}

function accessors(row: AttributeProperty): { get(this: Element): unknown; set(this: Element, value: never): void } {
  const name = row.attribute;
  switch (row.kind) {
    case 'text': {
      const fallback = String(row.default ?? '');
      return {
        get() {
          return this.getAttribute(name) ?? fallback;
        },
        set(value: string) {
          this.setAttribute(name, value);
        },
      };
    }
    case 'optional-text':
      return {
        get() {
          return this.getAttribute(name);
        },
        set(value: string | null) {
          if (value === null) this.removeAttribute(name);
          else this.setAttribute(name, value);
        },
      };
    case 'number': {
      const fallback = row.default === undefined ? null : Number(row.default);
      return {
        get() {
          return parseNumberAttribute(this.getAttribute(name)) ?? fallback;
        },
        set(value: number | null) {
          if (value === null || value === undefined) this.removeAttribute(name);
          else this.setAttribute(name, formatDecimal(value)); // decimal digits, as the attribute is read (1e-7 -> 0.0000001)
        },
      };
    }
    case 'switch':
      return {
        get() {
          return parseSwitchAttribute(this.getAttribute(name));
        },
        set(value: boolean) {
          if (value) this.setAttribute(name, '');
          else this.removeAttribute(name);
        },
      };
    case 'default-on-switch':
      return {
        get() {
          const value = this.getAttribute(name);
          return value === null || parseSwitchAttribute(value);
        },
        set(value: boolean) {
          if (value) this.removeAttribute(name);
          else this.setAttribute(name, 'off');
        },
      };
  }
}

/** Defines every table property on `prototype` as an accessor of its attribute (configurable and not enumerable, as class accessors are). */
export function defineAttributeProperties(prototype: object): void {
  for (const row of ATTRIBUTE_PROPERTIES) {
    Object.defineProperty(prototype, row.property, { ...accessors(row), configurable: true, enumerable: false });
  }
}
