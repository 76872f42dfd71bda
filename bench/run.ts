/**
 * npm run bench [-- --store postgres]: ack latency, time to the form and to the result, throughput,
 * Slack and Mimecast calls per flow, memory and startup time of the real bot against the local Slack and
 * Mimecast simulators, on 127.0.0.1 only, in under 5 minutes. With `--store postgres` the bot keeps its
 * data in PostgreSQL (an embedded server the benchmark starts) instead of a SQLite file.
 *
 * Layout: the bot runs alone in a child process (bench/bot-process.ts, transpiled to JavaScript by
 * bench/build.ts and run by plain `node`, as in production), so its RSS is its own. The simulators run
 * in this process, which also builds the signed requests from what they know, as Slack does; the load
 * generator (bench/generator.ts) sends and times them in a process of its own, pinned to a CPU of its
 * own when taskset is there. The baseline, a Bolt App that only acks (and opens the same form for the
 * slash command), runs in the same kind of child process, driven the same way, each of its
 * measurements right after the bot's so that both see the same machine. The phases are in
 * bench/phases.ts, the report in bench/report.ts; results go to stdout and to bench/results.json, or
 * bench/results-postgres.json (git-ignored).
 *
 * `npm run bench -- --abuse` runs only the abuse phase (bench/abuse.ts): unsigned, oversized and
 * stalled bodies against the bot and against Bolt's receiver alone, with RSS before, during and after.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runAbuse } from './abuse.js';
import { STORE } from './args.js';
import { BenchChild } from './children.js';
import {
  BUDGET_MS,
  benchAcks,
  benchSlowMimecast,
  benchSustained,
  progress,
  RssSampler,
  seconds,
} from './phases.js';
import { buildReport } from './report.js';
import { flush, startWorkspace, Tally, waitQuiet } from './workspace.js';

/** CPU seconds the whole machine spent busy so far (Linux /proc/stat), to tell how noisy the run was. */
function machineBusySeconds(): number | undefined {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1);
    const ticks = fields.map(Number);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return (ticks.reduce((sum, t) => sum + t, 0) - idle) / 100;
  } catch {
    return undefined;
  }
}

/** The commit of the code under test (src/ is transpiled at the start, so this is what runs). */
function sourceVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', timeout: 5000 }).trim();
    const dirty = git('status', '--porcelain', '--', 'src') !== '';
    return `commit ${git('rev-parse', '--short', 'HEAD')}${dirty ? ' with uncommitted changes in src/' : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}

// `npm run bench -- --abuse`: the abuse phase alone (bench/abuse.ts), then exit.
if (process.argv.includes('--abuse')) {
  await runAbuse();
  process.exit(0);
}

const store = STORE;
const RESULTS_PATH = fileURLToPath(
  new URL(store === 'postgres' ? './results-postgres.json' : './results.json', import.meta.url),
);
const version = sourceVersion();
const busyAtStart = machineBusySeconds();
const loadAtStart = loadavg()[0] ?? 0;
progress(`starting the simulators, the load generator${store === 'postgres' ? ' and PostgreSQL' : ''}`);
const ws = await startWorkspace(BUDGET_MS, store);
const children: BenchChild[] = [];
const samplers: RssSampler[] = [];

try {
  progress('starting the baseline and the bot (1st process)');
  const base = await BenchChild.start('baseline', ws.script, ws.botEnv());
  children.push(base.child);
  const bot1Database = await ws.newDatabase('bot1');
  const bot1 = await BenchChild.start('bot', ws.script, ws.botEnv(bot1Database));
  children.push(bot1.child);
  const bot1Started = performance.now();
  const sampler1 = new RssSampler(bot1.child);
  samplers.push(sampler1);
  const tally1 = new Tally();
  const acks = await benchAcks(ws, bot1.child, base.child);
  const baselineRss = (await base.child.stats(true)).rss;
  await base.child.stop();
  const slow = await benchSlowMimecast(ws, bot1.child);
  await waitQuiet(ws);
  sampler1.stop();
  await bot1.child.stop();
  const bot1LifetimeS = (performance.now() - bot1Started) / 1000;
  flush(ws, tally1);

  progress('phase 3: starting a fresh bot process');
  const bot2Database = await ws.newDatabase('bot2');
  const bot2 = await BenchChild.start('bot', ws.script, ws.botEnv(bot2Database));
  children.push(bot2.child);
  const bot2Started = performance.now();
  const sampler2 = new RssSampler(bot2.child);
  samplers.push(sampler2);
  const tally2 = new Tally();
  const sustained = await benchSustained(ws, bot2.child, sampler2, tally2);
  sampler2.stop();
  await waitQuiet(ws);
  await bot2.child.stop();
  const bot2LifetimeS = (performance.now() - bot2Started) / 1000;
  flush(ws, tally2);

  // How busy the machine was with other work: all its busy CPU time minus ours.
  const busyAtEnd = machineBusySeconds();
  // Ours: this process, the load generator and the apps (PostgreSQL's server counts as other work).
  const ours =
    (process.cpuUsage().user + process.cpuUsage().system) / 1e6 +
    (ws.generator.cpuUs() ?? 0) / 1e6 +
    children.reduce((sum, child) => sum + (child.lastStats?.cpuUs ?? 0), 0) / 1e6;
  const otherCores =
    busyAtStart === undefined || busyAtEnd === undefined
      ? undefined
      : Math.max(0, (busyAtEnd - busyAtStart - ours) / seconds());

  const { text, json } = buildReport({
    version,
    durationS: seconds(),
    otherCores,
    loadAtStart,
    loadAtEnd: loadavg()[0] ?? 0,
    acks,
    slow,
    sustained,
    tally1,
    tally2,
    bot1LifetimeS,
    bot2LifetimeS,
    store,
    placement: ws.placement,
    databases: { bot1: await bot1Database.inspect(), bot2: await bot2Database.inspect() },
    addsPerPair: ws.addsPerPair,
    peaks: { bot1: sampler1.peak, bot2: sampler2.peak },
    baselineRss,
    readyMs: { bot1: bot1.readyMs, bot2: bot2.readyMs, baseline: base.readyMs },
    logs: children.flatMap((child) =>
      [...child.logCounts.entries()].map(([line, count]) => `${count}× ${child.kind}: ${line}`),
    ),
  });
  writeFileSync(RESULTS_PATH, `${JSON.stringify(json, null, 2)}\n`);
  console.log(
    `${text}\nResults written to bench/${store === 'postgres' ? 'results-postgres' : 'results'}.json`,
  );
} catch (error) {
  process.exitCode = 1;
  console.log(
    `The benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
} finally {
  for (const sampler of samplers) sampler.stop();
  for (const child of children) await child.stop();
  await ws.close();
}
