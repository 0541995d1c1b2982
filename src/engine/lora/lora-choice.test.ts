/**
 * The library-agnostic choice of a generation's LoRAs (lora-choice.ts), used by the app's library and the
 * element's `loras` property: AUTOMATIC1111's rules (extra_networks.py / extra_networks_lora.py) for which
 * LoRAs a prompt with `<lora:...>` tags uses, at which weights, and what the PNG's prompt records.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../core/errors.js';
import { chosenLoraInputs, selectLoras, type LoraLibraryEntry } from './lora-choice.js';

/** An entry type of its own (as the element's), to show the choice keeps whatever the library's entries carry. */
type Entry = LoraLibraryEntry & { data: Blob; label: string };
const entry = (name: string, enabled: boolean, weight: number): Entry => ({ name, enabled, weight, data: new Blob([name]), label: `file ${name}` });
const missing = (name: string) => `no ${name} here`;

describe('selectLoras', () => {
  const lib = [entry('style', true, 0.8), entry('detail', false, 1), entry('off', false, 1), entry('base', true, -0.5)];

  it('uses the enabled entries at their weights and the tagged ones at the tag’s, a tag overriding an enabled or disabled entry', () => {
    const s = selectLoras('a cat <lora:detail:0.5> on a mat <lora:style:0.3:1.2>', lib, missing);
    expect(s.prompt).toBe('a cat  on a mat ');
    expect(s.chosen.map(({ entry, weight, unetWeight }) => [entry.label, weight, unetWeight])).toEqual([
      ['file base', -0.5, undefined],
      ['file detail', 0.5, undefined],
      ['file style', 0.3, 1.2],
    ]);
    expect(s.chosen[1]!.entry).toBe(lib[1]);
    expect(s.summary).toBe('base -0.5, detail 0.5, style 0.3');
    // The PNG keeps the tags as typed and adds one for each enabled entry no tag named.
    expect(s.infotextPrompt).toBe('a cat <lora:detail:0.5> on a mat <lora:style:0.3:1.2> <lora:base:-0.5>');
  });

  it('refuses a tag naming no entry with the caller’s message on field prompt, and a malformed tag', () => {
    const refusal = (() => {
      try {
        selectLoras('a <lora:missing:1>', lib, missing);
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(InvalidRequestError);
    expect(refusal).toMatchObject({ message: 'no missing here', field: 'prompt' });
    expect(() => selectLoras('a <lora:style:x>', lib, missing)).toThrow('"x", not a number');
  });

  it('uses nothing and leaves the prompt as it is without tags or enabled entries', () => {
    expect(selectLoras('a cat <hypernet:x:1>', [entry('x', false, 1)], missing)).toEqual({
      prompt: 'a cat <hypernet:x:1>',
      chosen: [],
      summary: '',
      infotextPrompt: 'a cat <hypernet:x:1>',
    });
  });

  it('gives the engine `name.safetensors`, the entry’s bytes and the chosen weights', () => {
    const inputs = chosenLoraInputs(selectLoras('<lora:detail:0.5:2>', lib, missing).chosen);
    expect(inputs).toEqual([
      { name: 'style.safetensors', data: lib[0]!.data, weight: 0.8 },
      { name: 'base.safetensors', data: lib[3]!.data, weight: -0.5 },
      { name: 'detail.safetensors', data: lib[1]!.data, weight: 0.5, unetWeight: 2 },
    ]);
  });
});
