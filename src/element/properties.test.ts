/**
 * The property table (properties.ts): the accessors it defines read and write their attributes as the
 * element's documentation says (absent → default, null removes, switches), on a stand-in element that
 * holds attributes in a Map (the element itself needs a DOM; e2e/element.e2e.ts runs it in a browser).
 */
import { describe, expect, it } from 'vitest';
import { ATTRIBUTE_PROPERTIES, defineAttributeProperties, typeText } from './properties.js';

class FakeElement {
  readonly attrs = new Map<string, string>();
  getAttribute(name: string): string | null {
    return this.attrs.get(name) ?? null;
  }
  setAttribute(name: string, value: unknown): void {
    this.attrs.set(name, String(value));
  }
  removeAttribute(name: string): void {
    this.attrs.delete(name);
  }
}
defineAttributeProperties(FakeElement.prototype);
const make = () => new FakeElement() as FakeElement & Record<string, unknown>;

describe('attribute-backed properties', () => {
  it('lists each property and attribute once, with a description', () => {
    const properties = ATTRIBUTE_PROPERTIES.map((row) => row.property);
    const attributes = ATTRIBUTE_PROPERTIES.map((row) => row.attribute);
    expect(new Set(properties).size).toBe(properties.length);
    expect(new Set(attributes).size).toBe(attributes.length);
    for (const row of ATTRIBUTE_PROPERTIES) expect(row.description.length, row.property).toBeGreaterThan(10);
    expect(properties).not.toContain('loras');
  });

  it('text: absent reads the default, a value is written as the attribute', () => {
    const el = make();
    expect([el.model, el.prompt, el.negativePrompt, el.promptSyntax]).toEqual(['shapes-sd', '', '', 'a1111']);
    el.negativePrompt = 'blurry';
    el.promptSyntax = 'plain';
    expect(el.attrs.get('negative-prompt')).toBe('blurry');
    expect(el.attrs.get('prompt-syntax')).toBe('plain');
    expect(el.promptSyntax).toBe('plain');
  });

  it('optional text and numbers: absent is null, null removes, NaN for a non-number', () => {
    const el = make();
    expect([el.scheduler, el.timestepSpacing, el.decoder, el.steps, el.seed, el.width]).toEqual([null, null, null, null, null, null]);
    el.timestepSpacing = 'trailing';
    el.steps = 20;
    expect([el.attrs.get('timestep-spacing'), el.attrs.get('steps')]).toEqual(['trailing', '20']);
    expect(el.steps).toBe(20);
    el.attrs.set('guidance', 'abc');
    expect(el.guidance).toBeNaN();
    el.attrs.set('steps', '0x80'); // Number() reads 128; the attribute takes decimal digits only
    expect(el.steps).toBeNaN();
    el.guidance = 1e-7; // written in decimal digits (String() would write 1e-7, which reads as NaN)
    expect([el.attrs.get('guidance'), el.guidance]).toEqual(['0.0000001', 1e-7]);
    el.seed = 9007199254740991;
    expect([el.attrs.get('seed'), el.seed]).toEqual(['9007199254740991', 9007199254740991]);
    el.steps = null;
    el.timestepSpacing = null;
    expect(el.attrs.has('steps') || el.attrs.has('timestep-spacing')).toBe(false);
  });

  it('strength reads 0.75 when absent, and null removes it', () => {
    const el = make();
    expect(el.strength).toBe(0.75);
    el.strength = 0.5;
    expect([el.strength, el.attrs.get('strength')]).toEqual([0.5, '0.5']);
    el.strength = null;
    expect([el.strength, el.attrs.has('strength')]).toEqual([0.75, false]);
  });

  it('preview is off when absent, safetyChecker on when absent; "off" / "false" turn either off', () => {
    const el = make();
    expect([el.preview, el.safetyChecker]).toEqual([false, true]);
    el.preview = true;
    el.safetyChecker = false;
    expect([el.attrs.get('preview'), el.attrs.get('safety-checker')]).toEqual(['', 'off']);
    expect([el.preview, el.safetyChecker]).toEqual([true, false]);
    el.attrs.set('preview', 'FALSE');
    el.attrs.set('safety-checker', 'false');
    expect([el.preview, el.safetyChecker]).toEqual([false, false]);
    el.preview = false;
    el.safetyChecker = true;
    expect(el.attrs.size).toBe(0);
  });

  it('types each property as its getter returns it', () => {
    const types = Object.fromEntries(ATTRIBUTE_PROPERTIES.map((row) => [row.property, typeText(row)]));
    expect(types).toMatchObject({ model: 'string', scheduler: 'string | null', steps: 'number | null', strength: 'number', preview: 'boolean' });
  });
});
