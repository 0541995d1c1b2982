/**
 * Stable Diffusion v1.4 at its real size in Chromium (prints numbers; asserts nothing):
 *   npm run bench:browser-real -- --model /work/models/sd14-portable-fp32 [--width 64 --height 64 --steps 1 --scheduler ddim]
 *
 * As a user would: the app (Vite dev server) opens, "Stable Diffusion v1.4 (your folder, by URL)" is
 * picked, the folder's URL typed (a local static server with Range and CORS serves --model), Load
 * pressed: the weight store streams every file into IndexedDB (on disk: a persistent profile) and
 * the engine creates the onnxruntime-web sessions (WebGPU on SwiftShader here, flags in
 * e2e/lib/browser.ts). Then one generation at a small size: the text encoder, one UNet call
 * (batch 2, classifier-free guidance) per step, and the VAE decoder.
 *
 * Measured: download MB/s (bytes the server sent / time from Load to the first "Loading the model"),
 * load time per part (from the app's progress text), generation time, peak RSS of Chromium's
 * processes per phase (e2e/lib/memory-sampler.ts), the storage estimate; what failed and its message.
 * Heavy (the fp32 folder is 4.3 GB; SwiftShader keeps GPU buffers in CPU memory): run it alone.
 * It stops by itself, reporting how far it got, when the machine's MemAvailable drops below
 * --min-available-mb (default 2500).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { startAppServer } from '../lib/app-server.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../lib/browser.js';
import { startFaultServer } from '../lib/fault-server.js';
import { memorySampler } from '../lib/memory-sampler.js';
import { progressLog, recordProgressIn } from '../lib/progress-log.js';

const arg = (name: string, fallback?: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1] !== undefined) return process.argv[i + 1]!;
  if (fallback === undefined) throw new Error(`--${name} is required, e.g. npm run bench:browser-real -- --model /work/models/sd14-portable-fp32`);
  return fallback;
};
const MODEL_DIR = resolve(arg('model'));
const WIDTH = Number(arg('width', '64'));
const HEIGHT = Number(arg('height', '64'));
const STEPS = Number(arg('steps', '1'));
const SCHEDULER = arg('scheduler', 'ddim');
const PROMPT = arg('prompt', 'a photograph of an astronaut riding a horse');
const TIMEOUT_MS = Number(arg('timeout-min', '50')) * 60_000;
/** The machine is shared: stop (and report how far it got) when less than this much memory is left. */
const MIN_AVAILABLE_MB = Number(arg('min-available-mb', '2500'));
const MB = 1e6;
const GB = 1e9;

const now = (page: Page) => page.evaluate(() => performance.now());
const settled = (page: Page) =>
  page.waitForFunction(() => ['done', 'error', 'cancelled'].includes(document.body.dataset.state ?? ''), null, { timeout: TIMEOUT_MS, polling: 500 });
const state = (page: Page) =>
  page.evaluate(() => ({
    state: document.body.dataset.state ?? '',
    errors: document.getElementById('form-errors')?.textContent ?? '',
    status: document.getElementById('model-status')?.textContent ?? '',
    caption: document.getElementById('stage-caption')?.textContent ?? '',
  }));
const fmtGB = (bytes: number) => `${(bytes / GB).toFixed(2)} GB`;
const availableMb = () => Number(/MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 1024;

async function main(): Promise<void> {
  console.log(`real-size browser run: ${MODEL_DIR}, ${WIDTH}x${HEIGHT}, ${SCHEDULER} ${STEPS} step(s), Chromium ${CHROMIUM_PATH}`);
  const files = await startFaultServer({ root: MODEL_DIR });
  const app = await startAppServer();
  const profile = mkdtempSync(join(tmpdir(), 'sd-real-size-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const memory = memorySampler(profile);
  const phases: Record<string, Record<string, number>> = {};
  const report: Record<string, unknown> = {};
  let phase = 'start';
  const guard = setInterval(() => {
    const mb = availableMb();
    if (mb < MIN_AVAILABLE_MB && !report.stopped) {
      report.stopped = `MemAvailable ${mb.toFixed(0)} MB < ${MIN_AVAILABLE_MB} MB during ${phase}: stopped (the machine is shared)`;
      phases[phase] = memory.peaks();
      void context.close();
    }
  }, 1000);
  try {
    // Every progress text and app state, with performance.now().
    await recordProgressIn(context, { 'sd-app:state': 'state' });
    const page = await context.newPage();
    page.on(
      'console',
      (m) => m.type() === 'error' && !m.text().includes('VerifyEachNodeIsAssignedToAnEp') && console.log(`[console] ${m.text().slice(0, 400)}`),
    );
    page.on('pageerror', (e) => console.log(`[page error] ${e.message.slice(0, 400)}`));
    await page.goto(app.url);
    await page.waitForFunction(() => document.body.dataset.state === 'done' || document.body.dataset.state === 'error', null, { timeout: 600_000 }); // the bundled demo auto-loads
    console.log(`capabilities: ${(await page.textContent('#capabilities'))?.replace(/\s+/g, ' ').trim()}`);

    // 1. Pick SD v1.4, type the folder URL, press Load: download into IndexedDB, then sessions.
    await page.selectOption('#model', 'sd-v1-4');
    await page.fill('#custom-url', `${files.url}sd14/`);
    await page.dispatchEvent('#custom-url', 'change');
    console.log(`advice: ${(await page.textContent('#model-advice'))?.trim() || '(none)'}`);
    memory.reset();
    phase = 'download';
    const t0 = await now(page);
    const wall0 = Date.now();
    await page.click('#load-model');
    await page.waitForFunction(() => document.body.dataset.state === 'loading', null, { timeout: 60_000 });
    // Phases by progress text: "Downloading …" until the first "Loading the model: …".
    let downloadEnd: number | null = null;
    const poll = setInterval(
      () =>
        void progressLog(page)
          .then((log) => {
            if (downloadEnd === null && log.some((e) => e.t > t0 && e.text.startsWith('Loading the model'))) {
              downloadEnd = Date.now();
              phases.download = memory.peaks();
              memory.reset();
              phase = 'load';
              console.log(
                `download done after ${((downloadEnd - wall0) / 1000).toFixed(0)} s; peak RSS ${JSON.stringify(Object.fromEntries(Object.entries(phases.download).map(([k, v]) => [k, fmtGB(v)])))}`,
              );
            }
          })
          .catch(() => undefined),
      500,
    );
    await settled(page);
    clearInterval(poll);
    const afterLoad = await state(page);
    const log = (await progressLog(page)).filter((e) => e.t >= t0);
    if (downloadEnd === null) phases.download = memory.peaks();
    else phases.load = memory.peaks();
    const sent = files.log.filter((e) => e.method === 'GET').reduce((sum, e) => sum + e.bytesSent, 0);
    const firstLoad = log.find((e) => e.text.startsWith('Loading the model'));
    const downloadSeconds = ((firstLoad?.t ?? log.at(-1)!.t) - t0) / 1000;
    report.download = {
      bytes: sent,
      seconds: downloadSeconds,
      mbPerSecond: sent / MB / downloadSeconds,
      files: new Set(files.log.filter((e) => e.method === 'GET').map((e) => e.path)).size,
    };
    const partTimes: Record<string, number> = {};
    const loads = log.filter((e) => e.text.startsWith('Loading the model') || e.text.startsWith('[state'));
    for (const [i, e] of loads.entries()) {
      const next = loads[i + 1];
      if (e.text.startsWith('Loading the model') && next) partTimes[e.text.replace('Loading the model: ', '')] = (next.t - e.t) / 1000;
    }
    report.load = { seconds: firstLoad ? (log.at(-1)!.t - firstLoad.t) / 1000 : null, parts: partTimes, result: afterLoad };
    report.loadWallSeconds = (Date.now() - wall0) / 1000;
    report.storage = await page.evaluate(() => navigator.storage.estimate());
    console.log(`after load: ${JSON.stringify(afterLoad)}`);

    // 2. One generation at a small size, if the model loaded.
    if (afterLoad.state === 'done') {
      await page.fill('#prompt', PROMPT);
      await page.selectOption('#scheduler', SCHEDULER);
      await page.fill('#steps', String(STEPS));
      await page.fill('#width', String(WIDTH));
      await page.fill('#height', String(HEIGHT));
      await page.fill('#seed', '1');
      await page.fill('#batch-count', '1');
      memory.reset();
      phase = 'generate';
      const g0 = await now(page);
      await page.click('#generate');
      await page.waitForFunction(() => document.body.dataset.state === 'generating', null, { timeout: 60_000 }).catch(() => undefined);
      await settled(page);
      phases.generate = memory.peaks();
      const g = (await progressLog(page)).filter((e) => e.t >= g0);
      report.generate = {
        seconds: (g.at(-1)!.t - g0) / 1000,
        result: await state(page),
        progress: g.map((e) => `${((e.t - g0) / 1000).toFixed(1)} s ${e.text}`).slice(-12),
      };
    }
    report.progress = log
      .map((e) => `${((e.t - t0) / 1000).toFixed(1)} s ${e.text}`)
      .filter((line, i, all) => !line.includes('Downloading') || i % 20 === 0 || !all[i + 1]?.includes('Downloading'));
  } catch (error) {
    report.error = report.stopped ? undefined : String(error).slice(0, 600);
  } finally {
    clearInterval(guard);
    memory.stop();
    const gets = files.log.filter((e) => e.method === 'GET');
    report.served = { bytes: gets.reduce((sum, e) => sum + e.bytesSent, 0), requests: gets.length, lastFile: gets.at(-1)?.path ?? null };
    report.peakRss = Object.fromEntries(
      Object.entries(phases).map(([phase, peaks]) => [phase, Object.fromEntries(Object.entries(peaks).map(([k, v]) => [k, fmtGB(v)]))]),
    );
    console.log(JSON.stringify(report, null, 2));
    await context.close().catch(() => undefined);
    await Promise.all([app.close(), files.close()]);
    rmSync(profile, { recursive: true, force: true });
  }
}

await main();
