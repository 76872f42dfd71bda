/**
 * The "Sizes" table of docs/architecture.md, made from the code: `npm run docs:sizes` rewrites it, and
 * test/unit/file-sizes.test.ts fails when it no longer matches. Lines are rounded (totals to 100, the
 * largest file to 10), so the table changes with the shape of the code, not with every edit.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const START = '<!-- sizes: made by npm run docs:sizes -->';
export const END = '<!-- sizes end -->';

/** Lines of every .ts file under the given top-level folders, by path from the root. */
export function lineCounts(folders: readonly string[], root = ROOT): Map<string, number> {
  const counts = new Map<string, number>();
  for (const folder of folders) {
    for (const entry of readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })) {
      const path = join(root, folder, entry);
      if (!entry.endsWith('.ts') || !statSync(path).isFile()) continue;
      const text = readFileSync(path, 'utf8');
      const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
      counts.set(relative(root, path).split('\\').join('/'), lines);
    }
  }
  return counts;
}

/** The group a file is counted in: each folder of src/ on its own, src/'s own files, then the rest. */
function groupOf(path: string): string {
  const parts = path.split('/');
  if (parts[0] === 'src') return parts.length > 2 ? `src/${parts[1]}/` : 'src/*.ts';
  return `${parts[0]}/`;
}

const round = (n: number, to: number) => Math.max(to, Math.round(n / to) * to).toLocaleString('en-US');

export function sizesTable(root = ROOT): string {
  const groups = new Map<string, [string, number][]>();
  for (const [path, lines] of lineCounts(['src', 'testkit', 'test', 'bench', 'scripts'], root)) {
    const group = groupOf(path);
    groups.set(group, [...(groups.get(group) ?? []), [path, lines]]);
  }
  const rows = [...groups].sort(([a], [b]) => a.localeCompare(b));
  return [
    '| Folder | Files | Lines | Largest file |',
    '|---|---|---|---|',
    ...rows.map(([group, files]) => {
      const total = files.reduce((sum, [, lines]) => sum + lines, 0);
      const [largest, most] = files.reduce((a, b) => (b[1] > a[1] || (b[1] === a[1] && b[0] < a[0]) ? b : a));
      return `| \`${group}\` | ${files.length} | ≈ ${round(total, 100)} | \`${largest.slice(group.replace('*.ts', '').length)}\`, ≈ ${round(most, 10)} |`;
    }),
  ].join('\n');
}

/** The section of the document between the markers, or undefined without them. */
export function tableIn(document: string): string | undefined {
  const start = document.indexOf(START);
  const end = document.indexOf(END);
  if (start < 0 || end < start) return undefined;
  return document.slice(start + START.length, end).trim();
}

export const DOCUMENT = join(ROOT, 'docs/architecture.md');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const document = readFileSync(DOCUMENT, 'utf8');
  if (tableIn(document) === undefined) throw new Error(`docs/architecture.md has no ${START} … ${END}`);
  const start = document.indexOf(START) + START.length;
  writeFileSync(
    DOCUMENT,
    `${document.slice(0, start)}\n${sizesTable()}\n${document.slice(document.indexOf(END))}`,
  );
  console.log(sizesTable());
}
