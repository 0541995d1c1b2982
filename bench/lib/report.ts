/** Statistics and the printed table of the pipeline benchmark. */

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export interface Row {
  stage: string;
  engine: number | null;
  torch?: number | null;
  unit: 'ms' | 'MiB';
}

const fmt = (v: number | null | undefined, unit: string) =>
  v === null || v === undefined || Number.isNaN(v) ? '-' : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${unit}`;

/** A fixed-width table; with torch numbers, a third column and engine/torch ratios. */
export function table(rows: Row[], withTorch: boolean): string {
  const head = withTorch ? ['stage', 'engine', 'PyTorch', 'engine / PyTorch'] : ['stage', 'engine'];
  const body = rows.map((r) => {
    const cells = [r.stage, fmt(r.engine, r.unit)];
    if (withTorch) {
      cells.push(fmt(r.torch, r.unit));
      cells.push(r.engine !== null && r.torch ? `${(r.engine / r.torch).toFixed(2)}x` : '-');
    }
    return cells;
  });
  const widths = head.map((_, i) => Math.max(head[i].length, ...body.map((c) => c[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
