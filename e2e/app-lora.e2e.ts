/**
 * A LoRA in the app (issue 21), on the CPU (wasm) with the tiny-sd fixture served as a custom model URL
 * (fixtures/tiny-sd-fp32 at /tiny-sd/): generate the base picture; add fixtures/lora/kohya_attn_te.safetensors
 * with the file picker, set its weight to 0.8, generate, and hold the PNG against the CLI's for the same request
 * and `--lora FILE:0.8` (max 1/255, as app.e2e.ts allows between the app and the CLI), with the same `Lora
 * hashes` and tagged prompt in its parameters; then remove the LoRA and get the base picture back, byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPngTextChunks } from '../src/core/png.js';
import { decodePng } from '../src/testing/png-decode.js';
import { REPO_ROOT, startAppServer, type AppServer } from './lib/app-server.js';
import { type AppEvent, clearAppEvents, modelLoaded, recordAppEvents } from './lib/app-events.js';
import { launchChromium } from './lib/browser.js';

const PROMPT = 'a red circle on a blue background';
const LORA = 'fixtures/lora/kohya_attn_te.safetensors';
const FLAGS = [
  '--prompt',
  PROMPT,
  '--prompt-syntax',
  'plain',
  '--scheduler',
  'ddim',
  '--steps',
  '8',
  '--guidance',
  '7.5',
  '--seed',
  '7',
  '--width',
  '128',
  '--height',
  '128',
];

let server: AppServer;
let browser: Browser;
let page: Page;
let cliPng: Uint8Array;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sd-app-lora-'));
  const cli = spawnSync(
    'npx',
    ['tsx', 'src/cli/main.ts', 'generate', '--model', 'fixtures/tiny-sd-fp32', '--lora', `${LORA}:0.8`, ...FLAGS, '--out', join(dir, 'cli.png')],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  if (cli.status !== 0) throw new Error(`The CLI reference failed:\n${cli.stderr}`);
  cliPng = new Uint8Array(readFileSync(join(dir, 'cli.png')));
  [server, browser] = await Promise.all([startAppServer({ '/tiny-sd/': 'fixtures/tiny-sd-fp32' }), launchChromium({ webgpu: false })]);
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  await context.addInitScript(recordAppEvents, ['sd-app:state', 'sd-app:model-loaded']);
  page = await context.newPage();
  await page.goto(server.url);
  await modelLoaded(page);
  await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 300_000, polling: 250 });
  await page.selectOption('#model', 'custom'); // the tiny-sd fixture by URL, before the first generate() watches the states
  await page.fill('#custom-url', `${server.url}tiny-sd/`);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Generates the request on the tiny-sd fixture and returns the newest gallery PNG and the progress line seen while generating. */
async function generate(): Promise<{ png: Uint8Array; states: string[] }> {
  await clearAppEvents(page);
  await page.fill('#prompt', PROMPT);
  await page.fill('#negative-prompt', '');
  await page.selectOption('#prompt-syntax', 'plain');
  await page.selectOption('#scheduler', 'ddim');
  await page.fill('#steps', '8');
  await page.fill('#guidance-scale', '7.5');
  await page.fill('#seed', '7');
  await page.fill('#batch-count', '1');
  await page.fill('#width', '128');
  await page.fill('#height', '128');
  await page.click('#generate');
  const states = await page
    .waitForFunction(
      () => {
        const states = (window as unknown as { __events: AppEvent[] }).__events
          .filter((e) => e.type === 'sd-app:state')
          .map((e) => `${e.detail.state}: ${e.detail.message ?? ''}`);
        const started = states.findIndex((s) => s.startsWith('loading') || s.startsWith('generating'));
        return started >= 0 && states.slice(started).some((s) => s.startsWith('done') || s.startsWith('error')) ? states : null;
      },
      null,
      { timeout: 300_000, polling: 250 },
    )
    .then((h) => h.jsonValue() as Promise<string[]>);
  const error = states.find((s) => s.startsWith('error'));
  if (error) throw new Error(error);
  const src = await page.getAttribute('#gallery li:first-child img', 'src');
  const png = new Uint8Array(await page.evaluate(async (url) => Array.from(new Uint8Array(await (await fetch(url!)).arrayBuffer())), src));
  return { png, states };
}

function maxLevelDiff(a: Uint8Array, b: Uint8Array): number {
  const x = decodePng(a).rgba;
  const y = decodePng(b).rgba;
  expect(x.length).toBe(y.length);
  let max = 0;
  for (let i = 0; i < x.length; i++) if (i % 4 !== 3) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  return max;
}

describe('a LoRA added in the app', () => {
  it("gives the CLI's picture with the same --lora, and the base picture back byte for byte once removed", { timeout: 900_000 }, async () => {
    const base = await generate();
    expect(readPngTextChunks(base.png).parameters).not.toContain('Lora hashes');

    await page.setInputFiles('#lora-input', join(REPO_ROOT, LORA));
    await page.getByLabel('Weight of kohya_attn_te').waitFor();
    expect(await page.textContent('#lora-message')).toMatch(/^Added kohya_attn_te/);
    expect(await page.isChecked('#lora-kohya_attn_te-on')).toBe(true);
    await page.getByLabel('Weight of kohya_attn_te').evaluate((el) => {
      const input = el as HTMLInputElement;
      input.value = '0.8';
      input.dispatchEvent(new Event('input'));
      input.dispatchEvent(new Event('change'));
    });
    const withLora = await generate();
    expect(withLora.states.some((s) => s.includes('with LoRA kohya_attn_te 0.8'))).toBe(true);
    expect(await page.textContent('#stage-caption')).toContain('LoRA kohya_attn_te 0.8');
    const vsCli = maxLevelDiff(withLora.png, cliPng);
    const vsBase = maxLevelDiff(withLora.png, base.png);
    console.log(`app with LoRA vs CLI --lora ${LORA}:0.8: max ${vsCli}/255; vs the base picture: max ${vsBase}/255`);
    expect(vsCli).toBeLessThanOrEqual(1);
    expect(vsBase).toBeGreaterThan(20); // the LoRA moved the picture
    const appText = readPngTextChunks(withLora.png).parameters!;
    const cliText = readPngTextChunks(cliPng).parameters!;
    const lineOf = (text: string, key: string) => text.split(', ').find((f) => f.startsWith(key));
    expect(appText.split('\n')[0]).toBe(`${PROMPT} <lora:kohya_attn_te:0.8>`);
    expect(lineOf(appText, 'Lora hashes')).toBe(lineOf(cliText, 'Lora hashes'));

    await page.getByRole('button', { name: 'Remove kohya_attn_te' }).click();
    await page.waitForFunction(() => document.querySelectorAll('#lora-list li').length === 0);
    const after = await generate();
    expect(after.states.some((s) => s.includes('LoRA'))).toBe(false);
    expect(Buffer.from(decodePng(after.png).rgba).equals(Buffer.from(decodePng(base.png).rgba))).toBe(true);
    expect(Buffer.from(after.png).equals(Buffer.from(base.png))).toBe(true);
  });
});
