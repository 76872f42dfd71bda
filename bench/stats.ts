/** Percentiles, a bounded concurrent runner, and plain-text tables. */

export interface LatencySummary {
  n: number;
  failures: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(samples: readonly number[], failures = 0): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    failures,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

export interface RunResult<R> {
  results: R[];
  failures: number;
  /** The first few failure messages. */
  errors: string[];
  /** Items not started because the deadline passed. */
  skipped: number;
  wallMs: number;
}

/**
 * Runs `task` over `items` with `concurrency` workers, each starting its next item as soon as the previous
 * one is done (a closed loop, like that many clients). Bounded by the item count and by `deadline`
 * (a performance.now() time): no new item starts after it.
 */
export async function runConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  deadline: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<RunResult<R>> {
  const results: R[] = [];
  const errors: string[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < items.length && performance.now() < deadline) {
      const index = next;
      next += 1;
      try {
        results.push(await task(items[index]!, index));
      } catch (error) {
        failures += 1;
        if (errors.length < 5) errors.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return { results, failures, errors, skipped: items.length - next, wallMs: performance.now() - started };
}

export function ms(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A left-aligned first column, right-aligned numbers, and one space-padded line per row. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return column === 0 || column === cells.length - 1 ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}
