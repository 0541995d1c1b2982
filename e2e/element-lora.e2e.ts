/**
 * <sd-text-to-image>'s `loras` property in Chromium (production build, the library's example page), on
 * onnxruntime-web's wasm backend (Chromium without WebGPU: a model folder given by URL has no known size, so
 * the engine would take SwiftShader's WebGPU, minutes per picture) with the tiny-sd fixture served as a model
 * URL (fixtures/tiny-sd-fp32 at /tiny-sd-fp32/) and fixtures/lora at /fixtures/lora/. As app-lora.e2e.ts does
 * for the app: the base picture; `loras = [{ file: URL of kohya_attn_te.safetensors, weight: 0.8 }]` gives the
 * CLI's picture for the same request and `--lora FILE:0.8` (max 1/255, as app.e2e.ts allows between a page
 * and the CLI) with the same parameters text (tagged prompt, `Lora hashes`); `loras = []` gives the base PNG back
 * byte for byte. A1111's `<lora:kohya_attn_te:0.8>` prompt tag with the file listed at weight 0 gives the CLI's
 * picture and parameters text again (the tag out of the encoded prompt, the PNG's prompt as typed); a tag naming no
 * listed LoRA is one sd-error. A truncated .safetensors File is one sd-error naming the file (one line, shown as the
 * status), and the next generate() without it makes the base PNG again.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseParameters } from '../src/core/parameters.js';
import { readPngTextChunks } from '../src/core/png.js';
import type { ResolvedRequest } from '../src/engine/request/request.js';
import { decodePng } from '../src/testing/png-decode.js';
import { launchChromium } from './lib/browser.js';
import { productionBuild, REPO_ROOT, startPreview, type ProductionServer } from './lib/production-server.js';

const PROMPT = 'a red circle on a blue background';
const LORA = 'fixtures/lora/kohya_attn_te.safetensors';
/** The request, as element attributes and as CLI flags (fixtures/lora/manifest.json's request, 128x128). */
const ATTRIBUTES = { prompt: PROMPT, 'prompt-syntax': 'plain', scheduler: 'ddim', steps: '8', guidance: '7.5', seed: '7', width: '128', height: '128' };
const FLAGS = Object.entries(ATTRIBUTES).flatMap(([name, value]) => [`--${name}`, value]);

/** What the page passes as `loras`: a URL, or a File of the first `truncateTo` bytes of a URL's file. */
type LoraSpec = { url: string; weight: number; truncateTo?: number; name?: string };

interface Outcome {
  png: number[] | null;
  request?: ResolvedRequest;
  fired: string[];
  errors: { name: string; message: string }[];
  status: string;
  failed: boolean;
}

let server: ProductionServer;
let browser: Browser;
let page: Page;
let cliPng: Uint8Array;
const pageErrors: string[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sd-element-lora-'));
  const cli = promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'generate', '--model', 'fixtures/tiny-sd-fp32', '--lora', `${LORA}:0.8`, ...FLAGS, '--out', join(dir, 'cli.png')],
    { cwd: REPO_ROOT },
  );
  const mounts = { '/tiny-sd-fp32/': 'fixtures/tiny-sd-fp32', '/fixtures/lora/': 'fixtures/lora' };
  [server, browser] = await Promise.all([productionBuild().then((out) => startPreview(out, 0, undefined, mounts)), launchChromium({ webgpu: false }), cli]);
  cliPng = new Uint8Array(readFileSync(join(dir, 'cli.png')));
  page = await (await browser.newContext()).newPage();
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  await page.goto(`${server.url}examples/element.html`);
  await page.waitForFunction(() => customElements.get('sd-text-to-image') !== undefined);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Sets #first's attributes and `loras`, generates, and reports the PNG, the events and the element's state. */
function generate(loras: LoraSpec[], prompt = PROMPT): Promise<Outcome> {
  return page.evaluate(
    async ([attributes, specs]) => {
      const element = document.getElementById('first') as HTMLElementTagNameMap['sd-text-to-image'];
      for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
      element.removeAttribute('preview');
      element.loras = await Promise.all(
        specs.map(async ({ url, weight, truncateTo, name }) => {
          if (truncateTo === undefined) return { file: url, weight };
          const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
          return { file: new File([bytes.subarray(0, truncateTo)], name!), weight };
        }),
      );
      const fired: string[] = [];
      const errors: { name: string; message: string }[] = [];
      const onEvent = (event: Event) => {
        fired.push(event.type);
        if (event.type === 'sd-error') errors.push((event as CustomEvent<{ name: string; message: string }>).detail);
      };
      element.addEventListener('sd-complete', onEvent);
      element.addEventListener('sd-error', onEvent);
      const result = await element.generate().catch(() => null);
      element.removeEventListener('sd-complete', onEvent);
      element.removeEventListener('sd-error', onEvent);
      return {
        png: result ? Array.from(new Uint8Array(await result.blob.arrayBuffer())) : null,
        ...(result ? { request: result.request } : {}),
        fired,
        errors,
        status: element.shadowRoot!.querySelector('[part~="status"]')!.textContent ?? '',
        failed: element.hasAttribute('data-failed'),
      };
    },
    [{ ...ATTRIBUTES, prompt, model: `${server.url}tiny-sd-fp32/` }, loras] as const,
  );
}

/** Largest difference between two PNGs' decoded RGB, in 0-255 levels. */
function maxLevelDiff(a: Uint8Array, b: Uint8Array): number {
  const [x, y] = [decodePng(a), decodePng(b)];
  expect([x.width, x.height]).toEqual([y.width, y.height]);
  let max = 0;
  for (let i = 0; i < x.rgba.length; i++) if (i % 4 !== 3) max = Math.max(max, Math.abs(x.rgba[i]! - y.rgba[i]!));
  return max;
}

describe('<sd-text-to-image> loras', () => {
  it("gives the CLI's --lora picture and PNG record, the base PNG back once cleared, and refuses a truncated file by name", { timeout: 900_000 }, async () => {
    const base = await generate([]);
    expect(base.fired).toEqual(['sd-complete']);
    const basePng = Uint8Array.from(base.png!);
    expect(readPngTextChunks(basePng).parameters).not.toContain('Lora hashes');

    const withLora = await generate([{ url: `/fixtures/lora/kohya_attn_te.safetensors`, weight: 0.8 }]);
    expect(withLora.fired).toEqual(['sd-complete']);
    const png = Uint8Array.from(withLora.png!);
    const vsCli = maxLevelDiff(png, cliPng);
    const vsBase = maxLevelDiff(png, basePng);
    console.log(`[element-lora.e2e] element with loras vs CLI --lora ${LORA}:0.8: max ${vsCli}/255; vs the base picture: max ${vsBase}/255`);
    expect(vsCli).toBeLessThanOrEqual(1);
    expect(vsBase).toBeGreaterThan(20); // the LoRA moved the picture
    expect(withLora.request?.prompt).toBe(PROMPT); // sd-complete's request is the engine's; the PNG's prompt names the LoRAs
    const elementText = readPngTextChunks(png).parameters!;
    const cliText = readPngTextChunks(cliPng).parameters!;
    expect(elementText).toBe(cliText); // the same model name too: the folder is served as /tiny-sd-fp32/
    const element = parseParameters(elementText);
    expect(element.prompt).toBe(`${PROMPT} <lora:kohya_attn_te:0.8>`);
    expect(element.extra['Lora hashes']).toMatch(/^kohya_attn_te: [0-9a-f]{12}$/);

    // A1111's prompt tag: the LoRA listed at weight 0 is used at the tag's 0.8, the tag is not text the encoder reads
    // (the CLI's picture again), and the PNG keeps the prompt as typed, which is the CLI's record.
    const tagged = await generate([{ url: `/fixtures/lora/kohya_attn_te.safetensors`, weight: 0 }], `${PROMPT} <lora:kohya_attn_te:0.8>`);
    expect(tagged.fired).toEqual(['sd-complete']);
    const taggedPng = Uint8Array.from(tagged.png!);
    const taggedVsCli = maxLevelDiff(taggedPng, cliPng);
    console.log(`[element-lora.e2e] element with <lora:kohya_attn_te:0.8> in the prompt (loras weight 0) vs CLI --lora ${LORA}:0.8: max ${taggedVsCli}/255`);
    expect(taggedVsCli).toBeLessThanOrEqual(1);
    expect(tagged.request?.prompt).toBe(`${PROMPT} `);
    expect(readPngTextChunks(taggedPng).parameters).toBe(cliText);

    const unknown = await generate([{ url: `/fixtures/lora/kohya_attn_te.safetensors`, weight: 1 }], `${PROMPT} <lora:style:1>`);
    expect(unknown.png).toBeNull();
    expect(unknown.fired).toEqual(['sd-error']);
    expect(unknown.errors).toEqual([
      {
        name: 'InvalidRequestError',
        message: "The prompt names <lora:style>, but the element's loras property has no style: add style.safetensors to loras ({ file, weight }).",
        field: 'prompt',
      },
    ]);
    expect(unknown.status).toBe(unknown.errors[0]!.message);

    const cleared = await generate([]);
    expect(Buffer.from(cleared.png!).equals(Buffer.from(basePng))).toBe(true);

    const refused = await generate([{ url: `/fixtures/lora/kohya_attn_te.safetensors`, weight: 1, truncateTo: 1000, name: 'broken.safetensors' }]);
    expect(refused.png).toBeNull();
    expect(refused.fired).toEqual(['sd-error']);
    expect(refused.errors).toHaveLength(1);
    expect(refused.errors[0]!.name).toBe('SafetensorsError');
    expect(refused.errors[0]!.message).toMatch(/^broken\.safetensors is not a readable \.safetensors file \(.*\): download it again\.$/);
    expect(refused.errors[0]!.message).not.toContain('\n');
    expect(refused.status).toBe(refused.errors[0]!.message);
    expect(refused.failed).toBe(true);

    const after = await generate([]);
    expect(after.fired).toEqual(['sd-complete']);
    expect(after.failed).toBe(false);
    expect(Buffer.from(after.png!).equals(Buffer.from(basePng))).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
