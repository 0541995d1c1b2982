/**
 * The element's `loras` property checks and URL fetching (element-loras.ts), with a counting fake fetch; and
 * the PNG it writes with LoRAs, held against the CLI's record of the same file and weight (cli/lora-flags.ts:
 * the tagged prompt and `Lora hashes`) and the hash Python's hashlib gives (cli-lora.test.ts: sha256 of
 * fixtures/lora/kohya_attn_te.safetensors after its header, first 12 hex digits).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { chooseLoras } from '../app/lora-choice.js';
import type { LoraEntry } from '../app/lora-library.js';
import { cliLoras } from '../cli/lora-flags.js';
import { InvalidRequestError } from '../core/errors.js';
import { parseParameters } from '../core/parameters.js';
import { readPngTextChunks } from '../core/png.js';
import type { ResolvedRequest } from '../engine/request/request.js';
import { encodeImagePng } from '../engine/request/png-file.js';
import { decodePng } from '../testing/png-decode.js';
import { checkElementLoras, chooseElementLoras, pngWithLoras, resolveElementLoras } from './element-loras.js';

const LORA_PATH = 'fixtures/lora/kohya_attn_te.safetensors';
const LORA_BYTES = new Uint8Array(readFileSync(LORA_PATH));
/** hashlib.sha256(data[8 + header_length:]).hexdigest()[:12] for the file above. */
const LORA_HASH = '9e516c6c5c8a';

/** A 4x4 result as the engine returns it: opaque pixels of a fixed pattern, and the engine's PNG of them. */
async function engineResult() {
  const rgba = new Uint8ClampedArray(4 * 4 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 37) % 256));
  const request: ResolvedRequest = {
    prompt: 'a red circle on a blue background',
    negativePrompt: '',
    promptSyntax: 'plain',
    scheduler: 'ddim',
    numInferenceSteps: 8,
    guidanceScale: 7.5,
    seed: 7,
    width: 4,
    height: 4,
  };
  const image = { rgba, width: 4, height: 4, request, model: 'tiny-sd-fp32' };
  return { ...image, png: await encodeImagePng(image) };
}

describe('element loras', () => {
  it('accepts Blobs and URLs with finite weights (default 1) and refuses anything else', () => {
    const blob = new Blob([new Uint8Array(3)]);
    expect(checkElementLoras([{ file: blob, weight: 0.5 }, { file: 'a.safetensors' }])).toEqual([
      { file: blob, weight: 0.5 },
      { file: 'a.safetensors', weight: 1 },
    ]);
    expect(() => checkElementLoras('a.safetensors')).toThrow(TypeError);
    expect(() => checkElementLoras([{ file: 3, weight: 1 }])).toThrow('loras[0].file');
    expect(() => checkElementLoras([{ file: blob, weight: Number.NaN }])).toThrow('loras[0].weight');
  });

  it('fetches a URL once, resolved against the page, and posts the same Blob each time; a Blob goes as it is', async () => {
    const fetched: string[] = [];
    const fetcher = (async (url: string) => {
      fetched.push(url);
      return new Response(new Uint8Array([1, 2]));
    }) as unknown as typeof fetch;
    const cache = new Map<string, Promise<Blob>>();
    const own = new File([new Uint8Array(1)], 'mine.safetensors');
    const first = await resolveElementLoras(
      [
        { file: 'loras/style%20a.safetensors', weight: 0.8 },
        { file: own, weight: -1 },
      ],
      'https://site.test/page/',
      cache,
      fetcher,
    );
    const second = await resolveElementLoras([{ file: 'https://site.test/page/loras/style%20a.safetensors', weight: 1 }], 'https://site.test/', cache, fetcher);
    expect(fetched).toEqual(['https://site.test/page/loras/style%20a.safetensors']);
    expect(first.map((l) => [l.name, l.weight])).toEqual([
      ['style a.safetensors', 0.8],
      ['mine.safetensors', -1],
    ]);
    expect(first[1]!.data).toBe(own);
    expect(second[0]!.data).toBe(first[0]!.data);
  });

  it('refuses a URL that answers with an error, and tries it again next time', async () => {
    let status = 404;
    const fetcher = (async () => new Response('x', { status })) as unknown as typeof fetch;
    const cache = new Map<string, Promise<Blob>>();
    await expect(resolveElementLoras([{ file: '/x.safetensors', weight: 1 }], 'https://site.test/', cache, fetcher)).rejects.toThrow('HTTP 404');
    status = 200;
    await expect(resolveElementLoras([{ file: '/x.safetensors', weight: 1 }], 'https://site.test/', cache, fetcher)).resolves.toHaveLength(1);
  });

  it("writes the PNG with the LoRA's tag and `Lora hashes`, as the CLI does for the same file and weight; without LoRAs the engine's PNG", async () => {
    const result = await engineResult();
    const fetcher = (async () => new Response(LORA_BYTES)) as unknown as typeof fetch;
    const choice = chooseElementLoras(result.request.prompt, [{ file: 'loras/kohya_attn_te.safetensors', weight: 0.8 }]);
    const loras = await resolveElementLoras(choice.loras, 'https://site.test/', new Map(), fetcher);
    const png = await pngWithLoras(result, choice.infotextPrompt, loras, new WeakMap());

    const cli = await cliLoras(result.request.prompt, [`${LORA_PATH}:0.8`], undefined);
    expect(cli.extra).toEqual({ 'Lora hashes': `kohya_attn_te: ${LORA_HASH}` });
    const cliPng = await encodeImagePng({ ...result, request: { ...result.request, prompt: cli.infotextPrompt } }, cli.extra);
    expect(Buffer.from(png).equals(Buffer.from(cliPng))).toBe(true);
    const text = readPngTextChunks(png).parameters!;
    expect(text).toContain(`Lora hashes: "kohya_attn_te: ${LORA_HASH}"`);
    expect(parseParameters(text)).toMatchObject({
      prompt: 'a red circle on a blue background <lora:kohya_attn_te:0.8>',
      seed: 7,
      extra: { 'Lora hashes': `kohya_attn_te: ${LORA_HASH}` },
    });
    expect(Buffer.from(decodePng(png).rgba).equals(Buffer.from(decodePng(result.png).rgba))).toBe(true);

    expect(await pngWithLoras(result, result.request.prompt, [], new WeakMap())).toBe(result.png);
    expect(readPngTextChunks(result.png).parameters).not.toContain('Lora');
  });

  it('names a File by its name and a Blob without one lora-N (its place in the list), and reads each Blob once for its hash', async () => {
    const result = await engineResult();
    const nameless = new Blob([LORA_BYTES]);
    const file = new File([LORA_BYTES], 'Detail, v2.SafeTensors');
    const read = vi.spyOn(nameless, 'arrayBuffer');
    const choice = chooseElementLoras(result.request.prompt, [
      { file, weight: -0.5 },
      { file: nameless, weight: 1 },
    ]);
    const loras = await resolveElementLoras(choice.loras, 'https://site.test/', new Map());
    const hashes = new WeakMap<Blob, Promise<string>>();
    const png = await pngWithLoras(result, choice.infotextPrompt, loras, hashes);
    await pngWithLoras(result, choice.infotextPrompt, loras, hashes);
    expect(read).toHaveBeenCalledTimes(1);
    // A1111 drops ',' and ':' from the names in `Lora hashes` only; the tags keep the name as it is.
    expect(parseParameters(readPngTextChunks(png).parameters!)).toMatchObject({
      prompt: 'a red circle on a blue background <lora:Detail, v2:-0.5> <lora:lora-2:1>',
      extra: { 'Lora hashes': `Detail v2: ${LORA_HASH}, lora-2: ${LORA_HASH}` },
    });
  });

  it('refuses a file it cannot hash in one line naming it', async () => {
    const result = await engineResult();
    const broken = new File([LORA_BYTES.subarray(0, 100)], 'broken.safetensors');
    const loras = await resolveElementLoras([{ file: broken, weight: 1 }], 'https://site.test/', new Map());
    await expect(pngWithLoras(result, result.request.prompt, loras, new WeakMap())).rejects.toThrow(
      /^broken\.safetensors is not a readable \.safetensors file \([^\n]*\): download it again\.$/,
    );
  });
});

/** The fixture's bytes as a File of that name. */
const fixtureFile = (name: string) => new File([readFileSync(`fixtures/lora/${name}.safetensors`)], `${name}.safetensors`);
/** kohya's addnet hash, as Python's hashlib gives it: SHA-256 of what follows the 8-byte length and the JSON header, 12 hex digits. */
const addnetHash = (name: string) => {
  const bytes = readFileSync(`fixtures/lora/${name}.safetensors`);
  return createHash('sha256')
    .update(bytes.subarray(8 + Number(bytes.readBigUInt64LE(0))))
    .digest('hex')
    .slice(0, 12);
};

describe('element loras: <lora:...> prompt tags, the loras property as the library', () => {
  const typed = 'a red circle <lora:kohya_attn_te:0.3> on a blue background<lora:peft_unet:0.5:1.5>';
  const list = () => [
    { file: fixtureFile('kohya_attn_te'), weight: 0.8 },
    { file: fixtureFile('peft_te'), weight: 1 },
    { file: fixtureFile('peft_unet'), weight: 0 },
    { file: fixtureFile('locon'), weight: 0 },
  ];

  it("takes the tags out of the encoded prompt; a tag sets its LoRA's weight over the property's, and uses one of weight 0", async () => {
    const choice = chooseElementLoras(typed, list());
    expect(choice.prompt).toBe('a red circle  on a blue background');
    const inputs = await resolveElementLoras(choice.loras, 'https://site.test/', new Map());
    // peft_te untagged at its property weight; kohya_attn_te at the tag's 0.3, not 0.8; peft_unet (weight 0) at the
    // tag's 0.5 / UNet 1.5; locon (weight 0, untagged) not used.
    expect(inputs.map((l) => [l.name, l.weight, l.unetWeight])).toEqual([
      ['peft_te.safetensors', 1, undefined],
      ['kohya_attn_te.safetensors', 0.3, undefined],
      ['peft_unet.safetensors', 0.5, 1.5],
    ]);
    expect(inputs[1]!.data).toBe(choice.loras[1]!.file);
    // Without tags: the property's weights, and nothing for weight 0.
    expect(chooseElementLoras('a cat', list()).loras.map((l) => [l.name, l.weight])).toEqual([
      ['kohya_attn_te.safetensors', 0.8],
      ['peft_te.safetensors', 1],
    ]);
    expect(chooseElementLoras('a cat', [{ file: 'x.safetensors', weight: 0 }])).toEqual({ prompt: 'a cat', infotextPrompt: 'a cat', loras: [] });
  });

  it('refuses a tag naming no LoRA of the list in one line that says where the LoRAs come from, before any fetch', () => {
    const refusal = (() => {
      try {
        chooseElementLoras('a cat <lora:style:0.8>', [{ file: 'loras/kohya_attn_te.safetensors', weight: 1 }]);
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(InvalidRequestError);
    expect(refusal).toMatchObject({
      field: 'prompt',
      message: "The prompt names <lora:style>, but the element's loras property has no style: add style.safetensors to loras ({ file, weight }).",
    });
    expect(() => chooseElementLoras('a cat <lora:style:0.8>', [])).toThrow("the element's loras property has no style");
    expect(() => chooseElementLoras('a cat <lora:kohya_attn_te:x>', [{ file: 'kohya_attn_te.safetensors', weight: 1 }])).toThrow(InvalidRequestError);
  });

  it('writes the PNG the app writes for the same set: the prompt as typed, a tag per untagged LoRA, `Lora hashes` for all used', async () => {
    const engine = await engineResult();
    const choice = chooseElementLoras(typed, list());
    // The engine encoded (and its PNG records) the prompt without the tags.
    const result = { ...engine, request: { ...engine.request, prompt: choice.prompt } };
    const inputs = await resolveElementLoras(choice.loras, 'https://site.test/', new Map());
    const png = await pngWithLoras(result, choice.infotextPrompt, inputs, new WeakMap());

    const library: LoraEntry[] = list().map(({ file, weight }) => {
      const name = file.name.replace('.safetensors', '');
      return { name, size: file.size, hash: addnetHash(name), enabled: weight !== 0, weight, data: file, addedAt: 0 };
    });
    const app = chooseLoras(typed, library);
    expect(app.prompt).toBe(choice.prompt);
    expect(app.loraFiles.map((l) => [l.name, l.weight, l.unetWeight])).toEqual(inputs.map((l) => [l.name, l.weight, l.unetWeight]));
    // As app/main.ts writes its PNG.
    const appPng = await encodeImagePng({ ...result, request: { ...result.request, prompt: app.infotextPrompt } }, app.extra);
    expect(readPngTextChunks(png).parameters).toBe(readPngTextChunks(appPng).parameters);
    expect(Buffer.from(png).equals(Buffer.from(appPng))).toBe(true);
    expect(parseParameters(readPngTextChunks(png).parameters!)).toMatchObject({
      prompt: `${typed} <lora:peft_te:1>`,
      extra: { 'Lora hashes': `peft_te: ${addnetHash('peft_te')}, kohya_attn_te: ${LORA_HASH}, peft_unet: ${addnetHash('peft_unet')}` },
    });
  });
});
