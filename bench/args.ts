/** The benchmark's command-line arguments: `npm run bench -- --store postgres`. */

export type BenchStore = 'sqlite' | 'postgres';

/** `--store sqlite` (the default) or `--store postgres` (also `--store=postgres`). */
export function storeArgument(args: readonly string[]): BenchStore {
  const at = args.findIndex((arg) => arg === '--store' || arg.startsWith('--store='));
  if (at < 0) return 'sqlite';
  const arg = args[at] ?? '';
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[at + 1];
  if (value === 'sqlite' || value === 'postgres') return value;
  console.error(`--store must be sqlite or postgres (got ${value ?? 'nothing'})`);
  process.exit(2);
}

/** Where the bot keeps its data in this run. */
export const STORE: BenchStore = storeArgument(process.argv.slice(2));
