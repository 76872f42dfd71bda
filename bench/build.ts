/**
 * Transpiles bench/bot-process.ts, bench/generator.ts and src/ to plain JavaScript, so the process under test runs as in
 * production (`node dist/main.js`) rather than under tsx, whose loader thread alone adds about 30 MB of
 * RSS and half a second of startup. Type-stripping only (ts.transpileModule, no type check), into a fresh
 * node_modules/.cache/delegate-bench-XXXXXX/ (git-ignored), where imports of packages still resolve; the
 * caller removes it when done.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache');

const COMPILER_OPTIONS: ts.CompilerOptions = {
  // ES modules as written (`.js` specifiers kept); NodeNext would guess CommonJS without a package.json.
  module: ts.ModuleKind.ES2022,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  verbatimModuleSyntax: true,
};

/** Returns the output directory and the paths of the compiled bot-process.js and generator.js in it. */
export function buildBotProcess(): { dir: string; script: string; generator: string } {
  mkdirSync(CACHE_DIR, { recursive: true });
  const outDir = mkdtempSync(join(CACHE_DIR, 'delegate-bench-'));
  const sources = [
    'bench/bot-process.ts',
    'bench/generator.ts',
    ...readdirSync(join(REPO_ROOT, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => join('src', file)),
  ];
  for (const source of sources) {
    const input = readFileSync(join(REPO_ROOT, source), 'utf8');
    const { outputText } = ts.transpileModule(input, { compilerOptions: COMPILER_OPTIONS, fileName: source });
    const target = join(outDir, source.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  // Under node_modules no package.json of ours applies: say that these files are ES modules.
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  return {
    dir: outDir,
    script: join(outDir, 'bench', 'bot-process.js'),
    generator: join(outDir, 'bench', 'generator.js'),
  };
}
