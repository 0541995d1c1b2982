/**
 * The browser's numbers (browser-run.ts's browser.json) against the Node WebGPU EP's and PyTorch's on the
 * same folder (bench/pipeline-bench.ts's --json-out, node-<scheduler>-<steps>.json), as a Markdown table
 * per run, for bench/README.md. Usage: node compare-runs.mjs OUTDIR   (gpu-browser-run.sh's $O)
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.';
// biome-ignore lint/suspicious/noExplicitAny: result files of several shapes, read field by field
const read = (path: string): any => (existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null);
const browser = read(join(dir, 'browser', 'browser.json'));
const fmt = (x: unknown, digits = 1) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '-');
const lines: string[] = [];
if (!browser) lines.push('no browser/browser.json');
else {
  const a = browser.adapter ?? {};
  lines.push(
    `Chromium ${browser.browserVersion ?? '?'}; adapter: ${a.vendor ?? '?'} / ${a.architecture ?? '?'} / ${a.description || a.device || '?'}` +
      `, fallback ${a.isFallbackAdapter}, shader-f16 ${a.shaderF16}, subgroups ${a.subgroups} (${a.subgroupMinSize}-${a.subgroupMaxSize})` +
      `, maxBufferSize ${a.maxBufferSize}, maxStorageBufferBindingSize ${a.maxStorageBufferBindingSize}`,
  );
  lines.push(`capabilities (the app): ${browser.capabilities ?? '-'}`);
  lines.push(
    `store: ${fmt((browser.store?.bytes ?? 0) / 1e6)} MB in ${fmt(browser.store?.seconds, 2)} s = ${fmt(browser.store?.mbPerSecond)} MB/s; ` +
      `load ${fmt(browser.load?.seconds, 2)} s (${Object.entries(browser.load?.parts ?? {})
        .map(([k, v]) => `${k} ${v} s`)
        .join(', ')}); ${browser.load?.loaded ?? browser.load?.result?.status ?? ''}`,
  );
  if (browser.error) lines.push(`error: ${browser.error}`);
}
for (const run of browser?.runs ?? []) {
  const name = `${run.scheduler}-${run.steps}`;
  const b = (browser.generations ?? []).find((g: { scheduler: string; steps: number }) => g.scheduler === run.scheduler && g.steps === run.steps);
  const n = read(join(dir, `node-${name}.json`));
  const t = n?.torch;
  const med = (xs: number[] | undefined) => (xs?.length ? [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)] : null);
  lines.push('', `### ${run.scheduler}, ${run.steps} steps, CFG ${run.guidance}, ${browser.width}x${browser.height}`, '');
  if (b?.skipped) lines.push(`browser: skipped (${b.skipped})`, '');
  lines.push('| measure | Chromium (the app) | Node WebGPU EP | PyTorch | Chromium / PyTorch |', '| --- | ---: | ---: | ---: | ---: |');
  const row = (label: string, br: unknown, node: unknown, torch: unknown) =>
    lines.push(
      `| ${label} | ${fmt(br)} | ${fmt(node)} | ${fmt(torch)} | ${typeof br === 'number' && typeof torch === 'number' ? `${(br / torch).toFixed(2)}x` : '-'} |`,
    );
  row('step, median (ms)', b?.msPerStepMedian, n?.engine?.stepMedianMs, med(t?.step_ms));
  row('step, min (ms)', b?.msPerStepMin, n?.engine?.stepMinMs, t?.step_ms ? Math.min(...t.step_ms) : null);
  row('click to step 1 (ms; Node/torch: text encoder)', b?.msToFirstStep, n?.engine?.textEncoderMs, t?.text_encoder_ms);
  row('VAE decode (ms; browser: last step to the image)', b?.msDecode, n?.engine?.vaeDecodeMs, t?.vae_decode_ms);
  row('total (ms)', b?.msTotal, n?.engine?.totalMs, t?.total_ms);
  row('peak GPU memory rise (MiB)', b?.gpuMemory?.deltaMiB, n?.engine?.gpuMemory?.deltaMiB, t?.peak_gpu_mem_mib);
  if (n?.parity) lines.push('', `Node EP vs PyTorch: final latents relative L2 ${n.parity.latentsRelativeL2.toExponential(2)}`);
  if (b?.result?.state && b.result.state !== 'done') lines.push('', `browser ended in state ${b.result.state}: ${b.result.errors || b.result.progress}`);
}
const text = lines.join('\n');
console.log(text);
writeFileSync(join(dir, 'compare.md'), `${text}\n`);
