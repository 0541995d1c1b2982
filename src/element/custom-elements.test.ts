/**
 * custom-elements.json (scripts/custom-elements.ts, from the element's JSDoc) against the element
 * itself: its observed attributes, the parts in its template, the custom properties its CSS reads,
 * and its event map. A new attribute, part or property that is not documented fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { customElementsManifest } from '../../scripts/custom-elements.js';
import { SdTextToImageElement } from './sd-text-to-image.js';
import { ELEMENT_CSS } from './styles.js';

const manifest = customElementsManifest();
const element = manifest.modules[0].declarations[0] as {
  tagName: string;
  attributes: { name: string; description: string; fieldName?: string }[];
  events: { name: string; type: { text: string } }[];
  cssParts: { name: string }[];
  cssProperties: { name: string; default?: string }[];
  members: { kind: string; name: string; static?: boolean }[];
};
const names = (list: { name: string }[]) => list.map((item) => item.name).sort();

describe('custom-elements.json', () => {
  it('documents every observed attribute, plus preview and busy, each with a description and its property', () => {
    expect(element.tagName).toBe('sd-text-to-image');
    const observed = SdTextToImageElement.observedAttributes;
    expect(new Set(observed).size, `observedAttributes lists each once: ${observed.join(', ')}`).toBe(observed.length);
    expect(observed).toEqual(expect.arrayContaining(['init-image', 'mask', 'strength']));
    const documented = new Set(names(element.attributes));
    for (const name of [...SdTextToImageElement.observedAttributes, 'preview', 'busy']) expect(documented, name).toContain(name);
    for (const attribute of element.attributes) {
      expect(attribute.description.length, attribute.name).toBeGreaterThan(10);
      expect(attribute.fieldName, attribute.name).toBeDefined();
      expect(attribute.fieldName! in SdTextToImageElement.prototype, attribute.fieldName).toBe(true);
    }
  });

  it('lists exactly the parts in the shadow template and the --sd-* properties the CSS reads', () => {
    const source = readFileSync(new URL('./sd-text-to-image.ts', import.meta.url), 'utf8');
    const template = /const TEMPLATE = \/\* html \*\/ `([\s\S]*?)`;/.exec(source)![1];
    const parts = [...template.matchAll(/part="([^"]+)"/g)].map((m) => m[1]);
    expect(names(element.cssParts)).toEqual([...new Set(parts)].sort());
    const properties = [...ELEMENT_CSS.matchAll(/var\((--sd-[\w-]+)/g)].map((m) => m[1]).filter((name) => name !== '--sd-aspect');
    expect(names(element.cssProperties)).toEqual([...new Set(properties)].sort());
    expect(element.cssProperties.find((p) => p.name === '--sd-accent')?.default).toBe('#4f46e5');
  });

  it('types each event with its detail from SdEventDetails, and lists the public methods', () => {
    expect(element.events.map((e) => [e.name, e.type.text])).toEqual([
      ['sd-progress', 'CustomEvent<SdProgressDetail>'],
      ['sd-preview', 'CustomEvent<SdPreviewDetail>'],
      ['sd-complete', 'CustomEvent<SdCompleteDetail>'],
      ['sd-error', 'CustomEvent<SdErrorDetail>'],
    ]);
    const methods = element.members.filter((m) => m.kind === 'method').map((m) => `${m.static ? 'static ' : ''}${m.name}`);
    expect(methods.sort()).toEqual(['cancel', 'generate', 'static define']);
    expect(manifest.modules[1].exports).toEqual([
      { kind: 'custom-element-definition', name: 'sd-text-to-image', declaration: { name: 'SdTextToImageElement', module: 'dist/lib/sd-text-to-image.js' } },
    ]);
  });
});
