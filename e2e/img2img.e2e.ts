/**
 * Image to image and inpainting in the app, in Chromium (the demo model runs on wasm there, as the app
 * chooses on SwiftShader's software adapter; fp32, the CLI's folder):
 *   1. the browser decoder (src/browser/decode-image.ts) gives a PNG's exact pixels (those the Node
 *      reader gives), translucent ones included, and refuses a file that is not a picture;
 *   2. inpaint mode: a picture picked with the file input, a mask PAINTED with pointer events on the
 *      painter (mouse strokes, a touch dab, an eraser stroke, invert twice), the form's refusals before
 *      any work (nothing painted, strength 0, a file that does not decode), then a generation whose PNG
 *      is the CLI's for the same parameters and the mask the app downloads (max 1/255 on the PNG: the
 *      issue's bound), carries "Denoising strength", and restores it when read back; "Use as input"
 *      on the result;
 *   3. a model folder without vae_encoder/: refused from its file list before any graph or weight moves
 *      (the test server's log), and once loaded for text the mode hint says so and Generate refuses in the form;
 *   4. a phone-width page painted by a touch drag (screenshot).
 * Few steps (Euler a, 8 steps at strength 0.6: 4 UNet calls of batch 2) to keep the run short.
 * Screenshots: e2e/screenshots/app-mask-painter.png and app-mask-painter-narrow.png (and in $SD_SHOTS_DIR).
 */
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseParameters } from '../src/core/parameters.js';
import { encodePng, readPngTextChunks } from '../src/core/png.js';
import { decodePng, pngLevelError } from '../src/testing/png-decode.js';
import { startAppServer, REPO_ROOT, type AppServer } from './lib/app-server.js';
import { type AppEvent, clearAppEvents, modelLoaded, recordAppEvents } from './lib/app-events.js';
import { launchChromium } from './lib/browser.js';
import { cliReference } from './lib/cli-reference.js';

const INIT = join(REPO_ROOT, 'fixtures/img2img/public/init_B.png'); // 128x128, diffusers' reference picture
const SETTINGS = {
  prompt: 'a yellow star on a purple background',
  negativePrompt: 'blurry',
  scheduler: 'euler_a',
  steps: 8,
  guidance: 7.5,
  seed: 5,
  strength: 0.6,
};
/** Another folder for the two screenshots too (e.g. SD_SHOTS_DIR=/work/shots for a reviewer). */
const SHOTS = process.env.SD_SHOTS_DIR ?? null;
const work = mkdtempSync(join(tmpdir(), 'sd-img2img-e2e-'));

let server: AppServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Requests for the model folder without vae_encoder/: `METHOD path` below /no-encoder/. */
const noEncoderRequests: string[] = [];

/** The sd-app:* events this file watches. */
const WATCHED = ['sd-app:state', 'sd-app:preview', 'sd-app:image', 'sd-app:model-loaded', 'sd-app:restored', 'sd-app:picture', 'sd-app:mask'];

const eventsOf = (p: Page, type: string) =>
  p.evaluate((t) => (window as unknown as { __events: AppEvent[] }).__events.filter((e) => e.type === t).map((e) => e.detail), type);
const lastPainted = async (p: Page) => ((await eventsOf(p, 'sd-app:mask')).at(-1)?.painted as number | undefined) ?? -1;

/** The mask layer as displayed: 1 where its pixel is drawn (alpha > 0), row-major at the picture's size. */
const displayedMask = (p: Page) =>
  p.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('#mask-canvas')!;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    return Array.from({ length: data.length / 4 }, (_, i): number => (data[i * 4 + 3] > 0 ? 1 : 0));
  });

/** Client position of picture pixel (x, y) (fractions of the picture's size). */
async function at(p: Page, fx: number, fy: number): Promise<{ x: number; y: number }> {
  const box = (await p.locator('#mask-canvas').boundingBox())!;
  return { x: box.x + fx * box.width, y: box.y + fy * box.height };
}

/** A mouse stroke through `points` (fractions of the picture), 6 moves per segment. */
async function mouseStroke(p: Page, points: [number, number][]): Promise<void> {
  const start = await at(p, ...points[0]);
  await p.mouse.move(start.x, start.y);
  await p.mouse.down();
  for (let k = 1; k < points.length; k++) {
    for (let s = 1; s <= 6; s++) {
      const f = s / 6;
      const q = await at(p, points[k - 1][0] + (points[k][0] - points[k - 1][0]) * f, points[k - 1][1] + (points[k][1] - points[k - 1][1]) * f);
      await p.mouse.move(q.x, q.y);
    }
  }
  await p.mouse.up();
}

async function setBrush(p: Page, size: number): Promise<void> {
  await p.locator('#brush-size').evaluate((el: HTMLInputElement, v) => {
    el.value = v;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, String(size));
  expect(await p.textContent('#brush-size-value')).toBe(String(size));
}

async function screenshot(p: Page, name: string): Promise<void> {
  const shots = [join(REPO_ROOT, 'e2e/screenshots', `app-${name}.png`)];
  if (SHOTS) {
    mkdirSync(SHOTS, { recursive: true });
    shots.push(join(SHOTS, `${name}.png`));
  }
  for (const path of shots) await p.locator('#image-input').screenshot({ path, animations: 'disabled' });
}

/** shapes-sd fp32 without its vae_encoder/ (the other parts linked): a model that cannot start from a picture. */
function folderWithoutEncoder(): string {
  const dir = join(work, 'shapes-sd-no-encoder');
  mkdirSync(dir);
  for (const part of ['model_index.json', 'scheduler', 'tokenizer', 'text_encoder', 'unet', 'vae_decoder'])
    symlinkSync(resolve(REPO_ROOT, 'public/models/shapes-sd-fp32', part), join(dir, part));
  return dir;
}

beforeAll(async () => {
  server = await startAppServer(
    { '/no-encoder/': folderWithoutEncoder() },
    (method, url) => void noEncoderRequests.push(`${method} ${url.slice('/no-encoder/'.length).split('?')[0]}`),
  );
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, hasTouch: true, acceptDownloads: true });
  await context.addInitScript(recordAppEvents, WATCHED);
  page = await context.newPage();
  await page.goto(server.url);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the browser decoder', () => {
  it("gives a PNG's exact pixels (as the Node reader does), the colour of translucent pixels included, and refuses a non-picture", async () => {
    // Every byte value in every channel, alpha 0 included: a 2D canvas alone would lose these colours.
    const rgba = Uint8Array.from({ length: 32 * 16 * 4 }, (_, i) => (i * 37 + (i >> 7)) % 256);
    const translucent = await encodePng(rgba, 32, 16, { dropOpaqueAlpha: false });
    const init = new Uint8Array(readFileSync(INIT));
    // The module as Vite serves it to the app (a module script: vitest would rewrite an import() here).
    await page.addScriptTag({ type: 'module', content: "import * as decoder from '/src/browser/decode-image.ts'; window.__decoder = decoder;" });
    await page.waitForFunction(() => '__decoder' in window);
    const decoded = await page.evaluate(
      async ([a, b]) => {
        const { decodeImageBlob } = (window as unknown as { __decoder: typeof import('../src/browser/decode-image.js') }).__decoder;
        const x = await decodeImageBlob(new Blob([new Uint8Array(a)], { type: 'image/png' }));
        const y = await decodeImageBlob(new Blob([new Uint8Array(b)], { type: 'image/png' }));
        const error = await decodeImageBlob(new Blob(['GIF? no: text'], { type: 'text/plain' }), 'The mask').catch((e: Error) => `${e.name}: ${e.message}`);
        return { x: [x.width, x.height, Array.from(x.data)] as const, y: [y.width, y.height, Array.from(y.data)] as const, error };
      },
      [Array.from(translucent), Array.from(init)] as const,
    );
    expect(decoded.x[0]).toBe(32);
    expect(decoded.x[1]).toBe(16);
    expect(decoded.x[2]).toEqual(Array.from(rgba));
    const reference = decodePng(init);
    expect([decoded.y[0], decoded.y[1]]).toEqual([reference.width, reference.height]);
    expect(decoded.y[2]).toEqual(Array.from(reference.rgba));
    expect(decoded.error).toMatch(
      // Refused from its first bytes, before any decoding (issue 25 item 10: the header says what the file is).
      /^InvalidRequestError: The mask cannot be used: it is not a PNG, JPEG or WebP file\. Give a PNG, JPEG or WebP file\.$/,
    );
  });
});

describe('the app: inpainting with a painted mask', () => {
  let appPng: Uint8Array;
  let maskPng: Uint8Array;

  it('paints a mask with the mouse and a finger, refuses what it cannot run before any work, and makes the CLI picture for the same mask', async () => {
    await modelLoaded(page);
    const [loaded] = await eventsOf(page, 'sd-app:model-loaded');
    expect(loaded).toMatchObject({ id: 'shapes-sd', precision: 'fp32' }); // public/models/shapes-sd-fp32, the CLI's folder
    await page.fill('#prompt', SETTINGS.prompt);
    await page.fill('#negative-prompt', SETTINGS.negativePrompt);
    await page.selectOption('#prompt-syntax', 'plain');
    await page.selectOption('#scheduler', SETTINGS.scheduler);
    await page.fill('#steps', String(SETTINGS.steps));
    await page.fill('#guidance-scale', String(SETTINGS.guidance));
    await page.fill('#seed', String(SETTINGS.seed));
    await page.fill('#batch-count', '1');

    // Inpaint mode, the picture picked; the size fields show its size, locked.
    await page.selectOption('#mode', 'inpaint');
    await page.setInputFiles('#init-image-input', INIT);
    await page.waitForSelector('#painter:not([hidden])');
    expect(await page.textContent('#image-message')).toBe('"init_B.png", 128x128: the output takes this size.');
    expect([await page.inputValue('#width'), await page.isDisabled('#width'), await page.isDisabled('#height')]).toEqual(['128', true, true]);

    // Nothing painted yet: refused at Generate, before any work.
    await page.click('#generate');
    expect(await page.textContent('#form-errors')).toBe(
      'Paint over the part of the picture to repaint (it shows striped), or choose "Image to image" to change all of it.',
    );
    expect(await page.getAttribute('#mask-canvas', 'aria-invalid')).toBe('true');

    // Paint: a mouse stroke, a finger's dab (pointerType touch), an eraser stroke across the first.
    await page.locator('#painter').scrollIntoViewIfNeeded();
    await setBrush(page, 20);
    await mouseStroke(page, [
      [0.15, 0.2],
      [0.5, 0.45],
      [0.8, 0.3],
    ]);
    const afterStroke = await lastPainted(page);
    const dab = await at(page, 0.3, 0.8);
    await page.touchscreen.tap(dab.x, dab.y);
    const afterDab = await lastPainted(page);
    await page.check('#mask-eraser');
    await setBrush(page, 6);
    await mouseStroke(page, [
      [0.5, 0.3],
      [0.5, 0.6],
    ]);
    await page.uncheck('#mask-eraser');
    const painted = await lastPainted(page);
    expect(afterStroke).toBeGreaterThan(1000); // a 20 px brush along ~100 px of path
    expect(afterDab - afterStroke).toBeGreaterThan(200); // a 20 px disc is ~314 pixels
    expect(painted).toBeLessThan(afterDab);
    const mask = await displayedMask(page);
    const pixel = (fx: number, fy: number) => mask[Math.floor(fy * 128) * 128 + Math.floor(fx * 128)];
    expect([pixel(0.15, 0.2), pixel(0.33, 0.33), pixel(0.8, 0.3), pixel(0.3, 0.8)]).toEqual([1, 1, 1, 1]); // on the strokes and the dab
    expect([pixel(0.5, 0.45), pixel(0.9, 0.9), pixel(0.05, 0.6)]).toEqual([0, 0, 0]); // erased; never painted
    expect(mask.reduce((a, b) => a + b, 0)).toBe(painted);
    expect(await page.textContent('#mask-count')).toBe(`${painted} pixels (${Math.round((100 * painted) / 128 ** 2)} %) to repaint.`);
    await page.click('#mask-invert');
    expect(await lastPainted(page)).toBe(128 * 128 - painted);
    await page.click('#mask-invert');
    expect(await displayedMask(page)).toEqual(mask);
    await screenshot(page, 'mask-painter');

    // The mask the app offers for download is the one displayed (white = repaint), at the picture's size.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#mask-download')]);
    expect(download.suggestedFilename()).toBe('mask-init-B-png-128x128.png');
    maskPng = new Uint8Array(readFileSync((await download.path())!));
    const decodedMask = decodePng(maskPng);
    expect([decodedMask.width, decodedMask.height]).toEqual([128, 128]);
    expect(Array.from({ length: 128 * 128 }, (_, i) => decodedMask.rgba[i * 4] / 255)).toEqual(mask);
    writeFileSync(join(work, 'mask.png'), maskPng);

    // Strength outside (0, 1] and a file that does not decode: said, nothing runs.
    await page.fill('#strength', '0');
    await page.click('#generate');
    expect(await page.textContent('#form-errors')).toBe('Strength must be a number in (0, 1] (got 0).');
    await page.setInputFiles('#init-image-input', { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') });
    await page.waitForFunction(() => document.querySelector('#image-message')?.getAttribute('data-level') === 'error');
    expect(await page.textContent('#image-message')).toMatch(
      /^"notes.png" cannot be used: it is not a PNG, JPEG or WebP file\. Give a PNG, JPEG or WebP file\.$/,
    );
    expect(await displayedMask(page)).toEqual(mask); // the picture and its mask stay
    expect((await eventsOf(page, 'sd-app:state')).some((e) => e.state === 'generating')).toBe(false);

    // Generate, with the cheap preview (one per step; the default tiny-decoder preview keeps to a time budget).
    await page.evaluate(() => void (document.querySelector('#preview-kind')!.closest('details')!.open = true)); // the setting lives in a <details>
    await page.selectOption('#preview-kind', 'latent');
    await page.fill('#strength', String(SETTINGS.strength));
    expect(await page.inputValue('#strength-range')).toBe(String(SETTINGS.strength));
    await page.click('#generate');
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 540_000, polling: 250 });
    expect(await page.textContent('#progress-text')).toMatch(/^Done/);
    // Previews as for text to image: one per step that runs (int(8 x 0.6) = 4 of Euler a's 8).
    expect((await eventsOf(page, 'sd-app:preview')).map((p) => `${p.step}/${p.totalSteps} ${p.kind}`)).toEqual([
      '1/4 latent',
      '2/4 latent',
      '3/4 latent',
      '4/4 latent',
    ]);
    appPng = Uint8Array.from(
      await page.evaluate(async () => {
        const link = document.querySelector<HTMLAnchorElement>('#gallery > li a.download')!;
        return Array.from(new Uint8Array(await (await fetch(link.href)).arrayBuffer()));
      }),
    );
    expect(parseParameters(readPngTextChunks(appPng).parameters)).toMatchObject({
      prompt: SETTINGS.prompt,
      negativePrompt: SETTINGS.negativePrompt,
      seed: SETTINGS.seed,
      steps: SETTINGS.steps,
      sampler: 'Euler a',
      guidanceScale: SETTINGS.guidance,
      width: 128,
      height: 128,
      denoisingStrength: SETTINGS.strength,
    });

    // The CLI with the same picture, the downloaded mask and the same parameters.
    const cli = await cliReference(work, [
      '--model',
      'public/models/shapes-sd-fp32',
      '--prompt',
      SETTINGS.prompt,
      '--negative-prompt',
      SETTINGS.negativePrompt,
      '--scheduler',
      SETTINGS.scheduler,
      '--steps',
      String(SETTINGS.steps),
      '--guidance',
      String(SETTINGS.guidance),
      '--seed',
      String(SETTINGS.seed),
      '--init-image',
      INIT,
      '--mask',
      join(work, 'mask.png'),
      '--strength',
      String(SETTINGS.strength),
    ]);
    const app8 = decodePng(appPng).rgba;
    const cli8 = decodePng(cli.png).rgba;
    let vsPng = 0;
    for (let i = 0; i < app8.length; i++) if (i % 4 !== 3) vsPng = Math.max(vsPng, Math.abs(app8[i] - cli8[i]));
    const vsFloat = pngLevelError(appPng, cli.image);
    console.log(
      `inpaint, app (wasm in Chromium) vs CLI (wasm in Node), ${painted} pixels painted: max |app PNG - CLI PNG| = ${vsPng}/255, vs the CLI's float image rounded = ${vsFloat}/255`,
    );
    expect(vsPng).toBeLessThanOrEqual(1);
    expect(vsFloat).toBeLessThanOrEqual(1);
    // The repainted part changed and the kept part stayed near the picture (a sanity check, not the parity bound).
    expect(app8).not.toEqual(decodePng(new Uint8Array(readFileSync(INIT))).rgba);
  });

  it('reads "Denoising strength" back from its PNG, and "Use as input" starts from the result', async () => {
    await page.fill('#strength', '0.9');
    writeFileSync(join(work, 'app.png'), appPng);
    await page.setInputFiles('#png-input', join(work, 'app.png'));
    await page.waitForFunction(() => (window as unknown as { __events: AppEvent[] }).__events.some((e) => e.type === 'sd-app:restored'));
    expect(await page.inputValue('#strength')).toBe(String(SETTINGS.strength));
    expect(await page.inputValue('#strength-range')).toBe(String(SETTINGS.strength));
    expect(await page.textContent('#drop-message')).toContain(`It was made from a picture (denoising strength ${SETTINGS.strength}, restored)`);

    const pictures = (await eventsOf(page, 'sd-app:picture')).length;
    await page
      .locator('#gallery > li')
      .first()
      .getByRole('button', { name: /^Use as the picture to start from/ })
      .click();
    await page.waitForFunction((n) => (window as unknown as { __events: AppEvent[] }).__events.filter((e) => e.type === 'sd-app:picture').length > n, pictures);
    expect(await page.textContent('#image-message')).toBe(`The gallery image (seed ${SETTINGS.seed}), 128x128: the output takes this size.`);
    expect(await lastPainted(page)).toBe(0); // a new picture starts with an empty mask
    const shown = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('#picture-canvas')!;
      return Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data);
    });
    expect(shown).toEqual(Array.from(decodePng(appPng).rgba));

    // A picture dropped on the picture box replaces it; the page's PNG-parameters drop leaves it alone.
    const restoredBefore = (await eventsOf(page, 'sd-app:restored')).length;
    const initA = Array.from(readFileSync(join(REPO_ROOT, 'fixtures/img2img/public/init_A.png')));
    const transfer = await page.evaluateHandle((bytes) => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(bytes)], 'init_A.png', { type: 'image/png' }));
      return data;
    }, initA);
    await page.dispatchEvent('#picture-drop', 'dragenter', { dataTransfer: transfer });
    await page.dispatchEvent('#picture-drop', 'drop', { dataTransfer: transfer });
    await page.waitForFunction(() => document.querySelector('#image-message')?.textContent?.startsWith('"init_A.png"'));
    expect(await page.textContent('#image-message')).toBe('"init_A.png", 128x128: the output takes this size.');
    expect((await eventsOf(page, 'sd-app:restored')).length).toBe(restoredBefore);
    expect(await page.isHidden('#drop-overlay')).toBe(true);
  });

  it('a model folder without vae_encoder/: refused before its graphs or weights move; once loaded for text, the mode hint says so and Generate refuses at once', async () => {
    const refusal = '"no-encoder" has no vae_encoder/model.onnx, which img2img and inpainting need: use a model folder exported with its VAE encoder.';
    const clearEvents = () => clearAppEvents(page);
    await page.selectOption('#mode', 'img2img');
    expect(await page.isHidden('#mask-canvas')).toBe(true); // image to image shows the picture only
    expect(await page.isHidden('#mask-controls')).toBe(true);
    await page.selectOption('#model', 'custom');
    await page.fill('#custom-url', `${server.url}no-encoder/`);
    await clearEvents();
    // Not loaded yet: the engine refuses from the folder's file list (model_index.json, HEAD requests).
    await page.click('#generate');
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 300_000, polling: 250 });
    expect(await page.textContent('#form-errors')).toBe(refusal);
    expect(await eventsOf(page, 'sd-app:image')).toEqual([]);
    expect(await eventsOf(page, 'sd-app:model-loaded')).toEqual([]);
    const gets = noEncoderRequests.filter((r) => r.startsWith('GET ')).map((r) => r.slice(4));
    expect(gets.filter((path) => path !== 'manifest.json')).toEqual(['model_index.json']);
    expect(noEncoderRequests).toContain('HEAD vae_encoder/model.onnx');

    // Loaded with Load (text to image needs no encoder): the mode hint names it; Generate in a picture
    // mode is refused in the form before any work (no state change, no request).
    await page.click('#load-model');
    await modelLoaded(page);
    expect(await page.textContent('#mode-hint')).toBe(refusal); // the engine's one refusal (model-parts.ts), on every surface
    await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 60_000, polling: 250 });
    await clearEvents();
    const requestsBefore = noEncoderRequests.length;
    await page.click('#generate');
    expect(await page.textContent('#form-errors')).toBe(refusal);
    expect(await page.getAttribute('#mode', 'aria-invalid')).toBe('true');
    expect(await eventsOf(page, 'sd-app:state')).toEqual([]);
    expect(noEncoderRequests.length).toBe(requestsBefore);
  });
});

describe('the mask painter at phone width', () => {
  let phone: Page;

  beforeAll(async () => {
    const narrow = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await narrow.addInitScript(recordAppEvents, WATCHED);
    phone = await narrow.newPage();
    await phone.goto(server.url);
  });

  it('paints with a finger drag (touch events, no page scroll) and fits the screen', async () => {
    // Once the page has settled (banner, model status), so only the finger could move the painter.
    await modelLoaded(phone);
    await phone.selectOption('#mode', 'inpaint');
    await phone.setInputFiles('#init-image-input', INIT);
    await phone.waitForSelector('#painter:not([hidden])');
    await phone.locator('#painter').scrollIntoViewIfNeeded();
    const before = await phone.evaluate(() => [scrollY, document.querySelector('#mask-canvas')!.getBoundingClientRect().top]);
    const cdp = await phone.context().newCDPSession(phone);
    const path = [
      [0.2, 0.7],
      [0.4, 0.55],
      [0.6, 0.6],
      [0.85, 0.4],
    ] as const;
    const points = await Promise.all(path.map(([fx, fy]) => at(phone, fx, fy)));
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [points[0]] });
    for (let k = 1; k < points.length; k++) {
      for (let s = 1; s <= 4; s++) {
        const [a, b] = [points[k - 1], points[k]];
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: a.x + ((b.x - a.x) * s) / 4, y: a.y + ((b.y - a.y) * s) / 4 }] });
      }
    }
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    const painted = await lastPainted(phone);
    expect(painted).toBeGreaterThan(800);
    const mask = await displayedMask(phone);
    expect(mask[Math.floor(0.7 * 128) * 128 + Math.floor(0.2 * 128)]).toBe(1);
    expect(mask[Math.floor(0.4 * 128) * 128 + Math.floor(0.85 * 128)]).toBe(1);
    // touch-action: none: the drag painted and did not scroll the page
    expect(await phone.evaluate(() => [scrollY, document.querySelector('#mask-canvas')!.getBoundingClientRect().top])).toEqual(before);
    // Nothing sticks out sideways.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(phone, 'mask-painter-narrow');
  });
});
