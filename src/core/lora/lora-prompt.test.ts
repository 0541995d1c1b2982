/**
 * `<lora:name:weight>` out of the prompt as AUTOMATIC1111's extra networks take it (modules/extra_networks.py
 * parse_prompt: each `<(\w+):([^>]+)>` replaced by nothing; extra_networks_lora.py: weight = item 1 or te=,
 * default 1; unet = item 2 or unet=, default the text encoder's; both kept when they differ). Expected texts are what Python's
 * `re.sub(r"<(\w+):([^>]+)>", "", prompt)` gives for these prompts.
 */
import { describe, expect, it } from 'vitest';
import { extractLoraTags } from './lora-prompt.js';

describe('extractLoraTags', () => {
  it('takes the tags out, the text around them kept as written', () => {
    expect(extractLoraTags('a cat <lora:film:0.8>, sharp <lora:detail>')).toEqual({
      prompt: 'a cat , sharp ',
      loras: [
        { name: 'film', weight: 0.8 },
        { name: 'detail', weight: 1 },
      ],
    });
    expect(extractLoraTags('x<lyco:style:0.5:0.5>y')).toEqual({ prompt: 'xy', loras: [{ name: 'style', weight: 0.5 }] });
    expect(extractLoraTags('<lora:a:te=0.3:unet=0.3>')).toEqual({ prompt: '', loras: [{ name: 'a', weight: 0.3 }] });
    expect(extractLoraTags('<lora:a:1:0.5>')).toEqual({ prompt: '', loras: [{ name: 'a', weight: 1, unetWeight: 0.5 }] });
    expect(extractLoraTags('<lora:a:unet=0>')).toEqual({ prompt: '', loras: [{ name: 'a', weight: 1, unetWeight: 0 }] });
    expect(extractLoraTags('(red:1.2) <hypernet:h:1> plain')).toEqual({ prompt: '(red:1.2) <hypernet:h:1> plain', loras: [] });
  });

  it('refuses a weight that is not a number, and no name', () => {
    expect(() => extractLoraTags('<lora:a:strong>')).toThrow(/weight "strong", not a number/);
    expect(() => extractLoraTags('<lora:a:1:x>')).toThrow(/UNet weight "x", not a number/);
    expect(() => extractLoraTags('<lora::1>')).toThrow(/names no LoRA/);
  });
});
