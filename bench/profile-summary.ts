/**
 * Summarises an ORT profile (Chrome trace JSON, from `npm run bench -- --profile PREFIX`): time per
 * operator type, per model run, largest first. Node events (cat "Node", name "<node>_kernel_time")
 * carry the op type and the execution provider; the WebGPU EP adds GPU-timestamp events of its own
 * kernels where the adapter has timestamp queries. Both are summarised, each in its own table.
 *
 *   node bench/profile-summary.ts PROFILE.json [--top 15]     (or the bundled .gpu/profile-summary.mjs)
 */
import { readFileSync } from 'node:fs';

interface TraceEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: Record<string, unknown>;
}

interface Row {
  key: string;
  us: number;
  count: number;
}

function summarise(events: TraceEvent[], keyOf: (e: TraceEvent) => string | null): Row[] {
  const rows = new Map<string, Row>();
  for (const e of events) {
    const key = keyOf(e);
    if (key === null || typeof e.dur !== 'number') continue;
    const row = rows.get(key) ?? { key, us: 0, count: 0 };
    row.us += e.dur;
    row.count += 1;
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => b.us - a.us);
}

function print(title: string, rows: Row[], runs: number, top: number): void {
  const total = rows.reduce((a, r) => a + r.us, 0);
  if (total === 0) return console.log(`${title}: no events`);
  console.log(`\n${title}: ${(total / runs / 1000).toFixed(2)} ms per run over ${runs} runs`);
  for (const r of rows.slice(0, top)) {
    console.log(
      `  ${r.key.padEnd(48)} ${(r.us / runs / 1000).toFixed(3).padStart(9)} ms/run ${((100 * r.us) / total).toFixed(1).padStart(5)}%  x${(r.count / runs).toFixed(1)}`,
    );
  }
}

function main(argv: string[]): void {
  const file = argv[0];
  if (!file) throw new Error('usage: profile-summary PROFILE.json [--top N]');
  const top = argv[1] === '--top' ? Number(argv[2]) : 15;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as TraceEvent[] | { traceEvents: TraceEvent[] };
  const events = Array.isArray(parsed) ? parsed : parsed.traceEvents;
  const runs = Math.max(1, events.filter((e) => e.cat === 'Session' && e.name === 'model_run').length);
  const opType = (e: TraceEvent) => String(e.args?.op_name ?? '?');
  print(
    'ORT node time (host side, by op type and provider)',
    summarise(events, (e) => (e.cat === 'Node' && e.name?.endsWith('_kernel_time') ? `${opType(e)} [${String(e.args?.provider ?? '?')}]` : null)),
    runs,
    top,
  );
  // The WebGPU EP's GPU-timestamp events (cat "Api", name "<node>&<op type>&<program>"), by op type and program.
  print(
    'GPU kernel time (timestamp queries, by op type and program)',
    summarise(events, (e) => {
      if (e.cat !== 'Api') return null;
      const [, op = '?', program = '?'] = String(e.name).split('&');
      return op === program ? op : `${op} (${program})`;
    }),
    runs,
    top,
  );
  const cats = new Map<string, number>();
  for (const e of events) cats.set(String(e.cat), (cats.get(String(e.cat)) ?? 0) + 1);
  console.log(`\nevent categories: ${[...cats].map(([c, n]) => `${c} ${n}`).join(', ')}`);
}

main(process.argv.slice(2));
