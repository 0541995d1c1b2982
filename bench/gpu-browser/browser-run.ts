/**
 * The real app in a real Chromium, driven as a user would (issue 24 part A), for the GPU machine and its
 * SwiftShader rehearsal here. Prints and writes numbers; asserts nothing.
 *
 *   node browser-run.mjs --model DIR --dist DIR --chromium DIR --out DIR [--width 512 --height 512]
 *     [--runs pndm:25:7.5,lcm:4:1] [--adapter default|swiftshader] [--preset sd-v1-4] [--timeout-min 8]
 *
 * The production build (--dist) and the model folder (--model, another origin: CORS and Range, as a
 * model host) are served on 127.0.0.1. Chromium (--chromium: the folder bench/gpu-browser/pack-chromium.sh
 * packs, its libraries through LD_LIBRARY_PATH) opens the app in a persistent profile (IndexedDB
 * needs a real quota for 2 GB), the preset is chosen and the folder's URL typed, Load stores the weights
 * in IndexedDB and creates the sessions; then one generation per --runs entry (scheduler:steps:guidance;
 * a scheduler the app does not offer is recorded as skipped).
 * Recorded in OUT/browser.json (rewritten after every stage) and OUT/screenshot-<run>.png: the adapter
 * (vendor, architecture, shader-f16, subgroups, maxBufferSize, maxStorageBufferBindingSize), the app's
 * capability text, store MB/s, load seconds per part, per generation: text encoder, ms per step from the
 * app's own progress text ("Step i of n"), decode, total, and nvidia-smi's peak device memory.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { startFaultServer } from '../../e2e/lib/fault-server.js';
import { progressLog, recordProgressIn, type TextEvent } from '../../e2e/lib/progress-log.js';
import { GpuMemorySampler } from '../lib/gpu-memory.js';
import { gpuChromiumArgs, packedChromium } from './chromium.js';
import { serveStatic } from './static-server.js';

const arg = (name: string, fallback?: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1] !== undefined) return process.argv[i + 1]!;
  if (fallback === undefined) throw new Error(`--${name} is required (see the header of bench/gpu-browser/browser-run.ts)`);
  return fallback;
};
const MODEL_DIR = resolve(arg('model'));
const DIST = resolve(arg('dist'));
const CHROMIUM_DIR = resolve(arg('chromium'));
const OUT = resolve(arg('out'));
const WIDTH = Number(arg('width', '512'));
const HEIGHT = Number(arg('height', '512'));
const RUNS = arg('runs', 'pndm:25:7.5')
  .split(',')
  .map((run) => {
    const [scheduler, steps, guidance] = run.split(':');
    return { scheduler: scheduler!, steps: Number(steps ?? 25), guidance: Number(guidance ?? 7.5) };
  });
const ADAPTER = arg('adapter', 'default');
const PRESET = arg('preset', 'sd-v1-4');
const PROMPT = arg('prompt', 'a photograph of an astronaut riding a horse');
const TIMEOUT_MS = Number(arg('timeout-min', '8')) * 60_000;

const ARGS = gpuChromiumArgs(ADAPTER);

/** What the page's WebGPU adapter says about itself (the engine asks for the same default adapter). */
async function adapterInfo(page: Page): Promise<unknown> {
  return page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: the page's WebGPU adapter, read field by field
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(o?: object): Promise<any> } }).gpu;
    if (!gpu) return { webgpu: false, userAgent: navigator.userAgent };
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { webgpu: true, adapter: null, userAgent: navigator.userAgent };
    const info = adapter.info ?? {};
    const features = [...adapter.features].sort() as string[];
    const limits = adapter.limits;
    return {
      userAgent: navigator.userAgent,
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter,
      subgroupMinSize: info.subgroupMinSize,
      subgroupMaxSize: info.subgroupMaxSize,
      shaderF16: features.includes('shader-f16'),
      subgroups: features.includes('subgroups'),
      features,
      maxBufferSize: limits.maxBufferSize,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
    };
  });
}

const now = (page: Page) => page.evaluate(() => performance.now());
const settled = (page: Page) =>
  page.waitForFunction(() => ['done', 'error', 'cancelled'].includes(document.body.dataset.state ?? ''), null, { timeout: TIMEOUT_MS, polling: 200 });
const pageState = (page: Page) =>
  page.evaluate(() => ({
    state: document.body.dataset.state ?? '',
    errors: document.getElementById('form-errors')?.textContent ?? '',
    status: document.getElementById('model-status')?.textContent ?? '',
    caption: document.getElementById('stage-caption')?.textContent ?? '',
    progress: document.getElementById('progress-text')?.textContent ?? '',
  }));
const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : null);
const round = (x: number | null, digits = 1) => (x === null ? null : Number(x.toFixed(digits)));

/** Step timings from the progress texts: the time between successive "Step i of n" texts. */
export function stepTimes(log: TextEvent[], t0: number): Record<string, unknown> {
  const steps = new Map<number, number>();
  for (const e of log) {
    const m = /^Step (\d+) of (\d+)/.exec(e.text);
    if (m && !steps.has(Number(m[1]))) steps.set(Number(m[1]), e.t);
  }
  const at = [...steps.entries()].sort((a, b) => a[0] - b[0]);
  const gaps = at.slice(1).map(([, t], i) => t - at[i]![1]);
  const firstStep = at[0]?.[1] ?? null;
  const lastStep = at.at(-1)?.[1] ?? null;
  const image = log.find((e) => e.text.startsWith('[image]'))?.t ?? null;
  const done = log.find((e) => e.text.startsWith('[state] {"state":"done"'))?.t ?? null;
  return {
    stepsSeen: at.length,
    msPerStepMedian: round(median(gaps)),
    msPerStepMin: round(gaps.length ? Math.min(...gaps) : null),
    msPerStepAll: gaps.map((g) => round(g)),
    /** Click to "Step 1": text encoder, the first UNet call (the step that "Step 1" reports) and the worker round trip. */
    msToFirstStep: round(firstStep === null ? null : firstStep - t0),
    /** "Step n of n" to the image event: the VAE decode plus the worker's transfer of the picture. */
    msDecode: round(lastStep !== null && image !== null ? image - lastStep : null),
    msTotal: round((done ?? image ?? lastStep ?? t0) - t0),
  };
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const report: Record<string, unknown> = {
    model: MODEL_DIR,
    width: WIDTH,
    height: HEIGHT,
    runs: RUNS,
    adapterFlag: ADAPTER,
    preset: PRESET,
    chromium: CHROMIUM_DIR,
  };
  const save = () => writeFileSync(join(OUT, 'browser.json'), JSON.stringify(report, null, 2));
  const say = (line: string) => console.log(`[browser-run ${(process.uptime()).toFixed(0)}s] ${line}`);
  const files = await startFaultServer({ root: MODEL_DIR });
  const app = await serveStatic(DIST);
  const profile = mkdtempSync(join(tmpdir(), 'sd-browser-run-'));
  const context = await chromium.launchPersistentContext(profile, {
    ...packedChromium(CHROMIUM_DIR),
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 1000 },
  });
  report.browserVersion = context.browser()?.version() ?? null;
  try {
    // Every progress text and app event, with performance.now().
    await recordProgressIn(context, { 'sd-app:state': 'detail', 'sd-app:image': 'detail', 'sd-app:model-loaded': 'detail' });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && !m.text().includes('VerifyEachNodeIsAssignedToAnEp') && consoleErrors.push(m.text().slice(0, 400)));
    page.on('pageerror', (e) => consoleErrors.push(`[page error] ${e.message.slice(0, 400)}`));
    report.consoleErrors = consoleErrors;
    await page.goto(app.url);
    report.adapter = await adapterInfo(page);
    say(`adapter ${JSON.stringify(report.adapter)}`);
    // The bundled demo loads by itself (its files are not carried: it fails, or it loads where they are).
    await page
      .waitForFunction(
        () => ['done', 'error'].includes(document.body.dataset.state ?? '') && !document.getElementById('capabilities')?.textContent?.includes('Checking'),
        null,
        { timeout: 120_000 },
      )
      .catch(() => undefined);
    report.capabilities = (await page.textContent('#capabilities'))?.replace(/\s+/g, ' ').trim();
    save();

    // Store + load: the preset, the folder's URL, Load.
    await page.selectOption('#model', PRESET);
    await page.fill('#custom-url', `${files.url}sd14/`);
    await page.dispatchEvent('#custom-url', 'change');
    if (await page.isVisible('#force-webgpu')) await page.check('#force-webgpu'); // a software adapter would run wasm
    report.advice = (await page.textContent('#model-advice'))?.trim() || null;
    const gpuLoad = GpuMemorySampler.start();
    const t0 = await now(page);
    await page.click('#load-model');
    await settled(page);
    const log = (await progressLog(page)).filter((e) => e.t >= t0);
    const firstLoad = log.find((e) => e.text.startsWith('Loading the model'));
    const sent = files.log.filter((e) => e.method === 'GET').reduce((sum, e) => sum + e.bytesSent, 0);
    const storeSeconds = ((firstLoad?.t ?? log.at(-1)!.t) - t0) / 1000;
    const parts: Record<string, number> = {};
    const marks = log.filter((e) => e.text.startsWith('Loading the model') || e.text.startsWith('[state]') || e.text.startsWith('[model-loaded]'));
    for (const [i, e] of marks.entries()) {
      const next = marks[i + 1];
      if (e.text.startsWith('Loading the model') && next) parts[e.text.replace('Loading the model: ', '')] = round((next.t - e.t) / 1000, 2)!;
    }
    report.store = { bytes: sent, seconds: round(storeSeconds, 2), mbPerSecond: round(sent / 1e6 / storeSeconds, 1), requests: files.log.length };
    report.load = {
      seconds: round(firstLoad ? (log.at(-1)!.t - firstLoad.t) / 1000 : null, 2),
      parts,
      result: await pageState(page),
      loaded: log.find((e) => e.text.startsWith('[model-loaded]'))?.text ?? null,
      gpuMemory: gpuLoad.stop(),
    };
    report.storage = await page.evaluate(() => navigator.storage.estimate());
    say(`store ${JSON.stringify(report.store)} load ${JSON.stringify(report.load)}`);
    save();
    await page.screenshot({ path: join(OUT, 'screenshot-load.png'), fullPage: true });
    if ((report.load as { result: { state: string } }).result.state !== 'done') throw new Error('the model did not load');

    // Generations.
    const generations: Record<string, unknown>[] = [];
    report.generations = generations;
    for (const run of RUNS) {
      const name = `${run.scheduler}-${run.steps}`;
      const offered = await page.$$eval('#scheduler option', (options) => options.map((o) => (o as HTMLOptionElement).value));
      if (!offered.includes(run.scheduler)) {
        generations.push({ ...run, skipped: `the app offers no '${run.scheduler}' scheduler (offers ${offered.join(', ')})` });
        save();
        continue;
      }
      await page.fill('#prompt', PROMPT);
      await page.selectOption('#scheduler', run.scheduler);
      await page.fill('#steps', String(run.steps));
      await page.fill('#guidance-scale', String(run.guidance));
      await page.fill('#width', String(WIDTH));
      await page.fill('#height', String(HEIGHT));
      await page.fill('#seed', '1');
      await page.fill('#batch-count', '1');
      const gpu = GpuMemorySampler.start();
      const g0 = await now(page);
      await page.click('#generate');
      await page.waitForFunction(() => document.body.dataset.state === 'generating', null, { timeout: 60_000 }).catch(() => undefined);
      await settled(page);
      const g = (await progressLog(page)).filter((e) => e.t >= g0);
      const result = {
        ...run,
        ...stepTimes(g, g0),
        gpuMemory: gpu.stop(),
        result: await pageState(page),
        progressTail: g.slice(-6).map((e) => `${((e.t - g0) / 1000).toFixed(2)} s ${e.text.slice(0, 160)}`),
      };
      generations.push(result);
      say(`generation ${name}: ${JSON.stringify(result)}`);
      save();
      await page.screenshot({ path: join(OUT, `screenshot-${name}.png`), fullPage: true });
    }
  } catch (error) {
    report.error = String(error).slice(0, 800);
    say(`error: ${report.error}`);
  } finally {
    save();
    await context.close().catch(() => undefined);
    await Promise.all([app.close(), files.close()]);
  }
}

await main();
