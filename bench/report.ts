/** The printed report and the JSON results, with each target's verdict. */
import { cpus, totalmem } from 'node:os';
import { ADD_DELEGATE_PATH, FIND_DELEGATES_PATH } from '../src/mimecast/client.js';
import type { BenchStore } from './args.js';
import {
  ACK_REQUESTS,
  type AckPhase,
  type AckTable,
  BATCH_FLOWS,
  CONCURRENCY,
  KIND_LABELS,
  LEVELS,
  SLOW_CLICKS,
  SLOW_MIMECAST_MS,
  SLOW_ROUNDS,
  type SlowPhase,
  SUSTAINED_FLOWS,
  type SustainedPhase,
} from './phases.js';
import { type LatencySummary, mb, ms, table } from './stats.js';
import { type DatabaseSummary, GROUP_CACHE_TTL_SECONDS, type Tally } from './workspace.js';

/** Everything the run measured. */
export interface RunResults {
  version: string;
  /** Where the bot kept its data. */
  store: BenchStore;
  /** How the processes were placed on the CPUs. */
  placement: string;
  durationS: number;
  /** Cores kept busy by other processes on the machine, on average (Linux only). */
  otherCores: number | undefined;
  loadAtStart: number;
  loadAtEnd: number;
  acks: AckPhase;
  slow: SlowPhase;
  sustained: SustainedPhase;
  /** Slack and Mimecast calls of the 1st bot process (phases 1-2) and of the 2nd (phase 3). */
  tally1: Tally;
  tally2: Tally;
  bot1LifetimeS: number;
  bot2LifetimeS: number;
  databases: { bot1: DatabaseSummary; bot2: DatabaseSummary };
  addsPerPair: Map<string, number>;
  peaks: { bot1: number; bot2: number };
  baselineRss: number;
  readyMs: { bot1: number; bot2: number; baseline: number };
  /** Log lines of the processes under test, counted. */
  logs: string[];
}

export interface Target {
  name: string;
  measured: string;
  pass: boolean;
}

function ackRows(phase: AckPhase, targets: Target[]): string[][] {
  const rows: string[][] = [];
  for (const kind of ['command', 'submit', 'click'] as const) {
    for (const [level, concurrency] of LEVELS) {
      const b = phase.bot[kind][level].summary;
      const a = phase.baseline[kind][level].summary;
      const ratio = b.p99 / a.p99;
      const pass = b.p99 < 50 && ratio <= 1.5 && b.failures === 0 && b.n >= ACK_REQUESTS;
      targets.push({
        name: `${KIND_LABELS[kind]} ack at ${concurrency}: p99 < 50 ms and ≤ 1.5× baseline`,
        measured: `${ms(b.p99)} ms, ${ratio.toFixed(2)}×`,
        pass,
      });
      rows.push([
        KIND_LABELS[kind],
        String(concurrency),
        String(b.n),
        String(b.failures),
        ms(b.p50),
        ms(b.p95),
        ms(b.p99),
        ms(b.max),
        ms(a.p50),
        ms(a.p99),
        `${ratio.toFixed(2)}×`,
        pass ? 'PASS' : 'FAIL',
      ]);
    }
  }
  return rows;
}

function waitRows(phase: AckPhase, flows: SustainedPhase): string[][] {
  const rows: string[][] = [];
  for (const [level, concurrency] of LEVELS) {
    const bot = phase.bot.command[level].formOpen;
    const base = phase.baseline.command[level].formOpen;
    if (bot && base) {
      rows.push([
        'command → form open',
        String(concurrency),
        String(bot.n),
        ms(bot.p50),
        ms(bot.p95),
        ms(bot.p99),
        ms(bot.max),
        ms(base.p50),
        ms(base.p99),
        `${(bot.p99 / base.p99).toFixed(2)}×`,
      ]);
    }
  }
  // In phase 1 the clicks come in a burst and each result waits behind the acks of the ones after it;
  // in complete flows each person waits for their own result before going on: that is the figure here.
  const result = flows.after.result;
  rows.push([
    'click → result in thread',
    `${CONCURRENCY} flows`,
    String(result.n),
    ms(result.p50),
    ms(result.p95),
    ms(result.p99),
    ms(result.max),
    '-',
    '-',
    '-',
  ]);
  return rows;
}

function loopRows(phase: AckPhase): string[][] {
  const pair = (delay: { p99: number; max: number; gcMax?: number }) =>
    `${ms(delay.p99, 1)} / ${ms(delay.max, 1)}${delay.gcMax === undefined ? '' : ` (GC ${ms(delay.gcMax, 1)})`}`;
  return (['command', 'submit', 'click'] as const).flatMap((kind) =>
    LEVELS.map(([level, concurrency]) => {
      const bot = phase.bot[kind][level].loop;
      const base = phase.baseline[kind][level].loop;
      return [
        KIND_LABELS[kind],
        String(concurrency),
        `${ms(phase.bot[kind][level].cpuMsPerRequest)} / ${ms(phase.baseline[kind][level].cpuMsPerRequest)}`,
        pair(bot.app),
        pair(bot.parent),
        pair(base.app),
        pair(base.parent),
      ];
    }),
  );
}

function latencyRow(label: string, s: LatencySummary): string[] {
  return [label, String(s.n), String(s.failures), ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max)];
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `   ${line}`)
    .join('\n');
}

function summaries(acks: AckTable) {
  return Object.fromEntries(
    Object.entries(acks).map(([kind, levels]) => [
      kind,
      {
        c1: { ...levels.c1.summary, loopDelay: levels.c1.loop, cpuMsPerRequest: levels.c1.cpuMsPerRequest },
        c50: {
          ...levels.c50.summary,
          loopDelay: levels.c50.loop,
          cpuMsPerRequest: levels.c50.cpuMsPerRequest,
        },
      },
    ]),
  );
}

export function buildReport(results: RunResults): { text: string; json: unknown } {
  const {
    version,
    store,
    placement,
    durationS,
    otherCores,
    loadAtStart,
    loadAtEnd,
    acks,
    slow,
    sustained,
    tally1,
    tally2,
    bot1LifetimeS,
    bot2LifetimeS,
    databases,
    addsPerPair,
    peaks,
    baselineRss,
    readyMs,
    logs,
  } = results;
  const out: string[] = [];
  const say = (line = '') => out.push(line);
  const targets: Target[] = [];

  say(
    `Mimecast delegate bot benchmark: ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? '?'}), ${mb(totalmem())} RAM, ` +
      `Node ${process.version}, ${new Date().toISOString()}`,
  );
  say(
    `Code under test: ${version}. Store: ${store === 'postgres' ? 'PostgreSQL (embedded server, one database per bot process)' : 'SQLite file'}.`,
  );
  say('The bot runs alone in a child process (transpiled JavaScript, plain node). The Slack and Mimecast');
  say('simulators run in the parent process, which builds the signed requests as Slack would; the load');
  say('generator sends and times them in a process of its own. The baseline is a Bolt App + HTTPReceiver');
  say(
    'whose listeners only ack() (its slash command also opens the same form), in the same kind of process,',
  );
  say(`measured right after the bot's each time. Placement: ${placement}.`);
  say(
    `Machine load from other processes during the run: ${otherCores === undefined ? 'unknown' : `${otherCores.toFixed(2)} of ${cpus().length} cores`} ` +
      `(1-min load average ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end).`,
  );

  // 1. acks
  say();
  say(
    '1. Ack latency, ms: signed request sent → whole HTTP response read (client side), after a warm-up, on',
  );
  say('   warm connections (one per client). Closed loop: each client sends its next request as soon as the');
  say(
    '   previous one is acked, so the bot is still doing the work it acked early (opening the modal, calling',
  );
  say('   Mimecast, posting to Slack) while the next requests arrive, even with 1 client.');
  say(
    table(
      [
        'request',
        'clients',
        'n',
        'failed',
        'p50',
        'p95',
        'p99',
        'max',
        'base p50',
        'base p99',
        'p99 ratio',
        'result',
      ],
      ackRows(acks, targets),
    ),
  );
  say('   target: p99 < 50 ms and ≤ 1.5× the baseline p99, applied at both concurrency levels');
  say();
  say(
    '   What a person waits for, ms: slash command sent → form open (views.open accepted by the simulator),',
  );
  say("   and approve click sent → result posted in the card's thread (the baseline calls no Mimecast)");
  say(
    indent(
      table(
        ['wait', 'clients', 'n', 'p50', 'p95', 'p99', 'max', 'base p50', 'base p99', 'p99 ratio'],
        waitRows(acks, sustained),
      ),
    ),
  );
  say('   Why: CPU ms per request of the bot / the baseline (post-ack work included); event-loop delay, ms,');
  say(
    '   p99 / max (a 2 ms timer running late: the loop was busy or starved of CPU), with the longest GC pause;',
  );
  say('   "parent": the simulators meanwhile (the load generator times the requests in its own process).');
  say(
    indent(
      table(
        ['request', 'clients', 'CPU/request', 'bot loop', 'parent', 'baseline loop', 'parent'],
        loopRows(acks),
      ),
    ),
  );
  say(
    `   acks within complete flows (phase 3, ${CONCURRENCY} concurrent flows) p99: command ${ms(sustained.acks.command.p99)}, ` +
      `submission ${ms(sustained.acks.submit.p99)}, click ${ms(sustained.acks.click.p99)} ms`,
  );

  // 2. slow Mimecast
  const control = slow.control.summary;
  const delayed = slow.slow.summary;
  const slowPass =
    delayed.failures === 0 &&
    delayed.n > 0 &&
    (delayed.p99 <= 1.5 * control.p99 || delayed.p99 - control.p99 <= 5);
  targets.push({
    name: 'approve click ack p99 while Mimecast takes 5 s: ≤ 1.5× normal (or +5 ms)',
    measured: `${ms(delayed.p99)} ms vs ${ms(control.p99)} ms`,
    pass: slowPass,
  });
  say();
  say(
    `2. Approve click ack, ms, ${CONCURRENCY} clients, while Mimecast add-delegate-user answers at once / after 5 s`,
  );
  say(
    indent(
      table(
        ['Mimecast', 'n', 'failed', 'p50', 'p95', 'p99', 'max', 'bot loop max', 'parent loop max', 'result'],
        [
          [
            ...latencyRow('at once', control),
            ms(slow.control.loop.app.max, 1),
            ms(slow.control.loop.parent.max, 1),
            '',
          ],
          [
            ...latencyRow('after 5 s', delayed),
            ms(slow.slow.loop.app.max, 1),
            ms(slow.slow.loop.parent.max, 1),
            slowPass ? 'PASS' : 'FAIL',
          ],
        ],
      ),
    ),
  );
  say(`   (${SLOW_ROUNDS} alternating rounds of each, on fresh pending requests)`);
  for (const [label, r] of [
    ['at once', slow.controlResults],
    ['after 5 s', slow.slowResults],
  ] as const) {
    say(
      `   ${label}: ${r.granted} granted, ${r.failed} failed, ${r.missing} without a result; click → result in thread ` +
        `p50 ${(r.clickToResult.p50 / 1000).toFixed(2)} s, max ${(r.clickToResult.max / 1000).toFixed(2)} s`,
    );
  }

  // 3. flows and calls
  const n = sustained.flows;
  const adds = tally2.mimecast.get(ADD_DELEGATE_PATH) ?? 0;
  const finds = tally2.mimecast.get(FIND_DELEGATES_PATH) ?? 0;
  const approvals = acks.approvals + slow.approvals + sustained.approvals;
  const addCounts = [...addsPerPair.values()];
  const addsTotal = addCounts.reduce((sum, count) => sum + count, 0);
  const pairsNotOnce = addCounts.filter((count) => count !== 1).length;
  const addsPass = adds === sustained.approvals && addsTotal === approvals && pairsNotOnce === 0;
  targets.push({
    name: 'Mimecast add-delegate-user: exactly 1 per approved request',
    measured: `${addsTotal} adds / ${approvals} approvals, ${pairsNotOnce} pairs ≠ 1`,
    pass: addsPass,
  });
  const groupRows: string[][] = [];
  let groupsPass = true;
  for (const [label, lifetimeS, tally] of [
    ['1st bot', bot1LifetimeS, tally1],
    ['2nd bot', bot2LifetimeS, tally2],
  ] as const) {
    const periods = Math.floor(lifetimeS / GROUP_CACHE_TTL_SECONDS) + 1;
    for (const group of ['SREQUESTERS', 'SAPPROVERS', 'SADMINS']) {
      const loads = tally.groupLoads.get(group) ?? 0;
      groupsPass &&= loads <= periods;
      groupRows.push([`${label}, ${group}`, `${lifetimeS.toFixed(0)} s`, String(loads), `≤ ${periods}`]);
    }
  }
  const maxLoads = Math.max(...groupRows.map((row) => Number(row[2])));
  targets.push({
    name: `usergroups.users.list: ≤ 1 per group per ${GROUP_CACHE_TTL_SECONDS} s cache period`,
    measured: `at most ${maxLoads} per group per process`,
    pass: groupsPass,
  });

  say();
  say(
    `3. Complete flows: command → modal → submit → card → approve → Mimecast → result in the thread; ${CONCURRENCY} concurrent, fresh bot process`,
  );
  say(
    `   ${n} of ${SUSTAINED_FLOWS} flows in ${(sustained.wallMs / 1000).toFixed(1)} s: ${sustained.flowsPerSecond.toFixed(1)} flows/s; ` +
      `flow time p50 ${ms(sustained.flowTime.p50, 0)} ms, p99 ${ms(sustained.flowTime.p99, 0)} ms; ${sustained.failures} failed`,
  );
  const steps = sustained.after;
  say(
    `   waits, ms p50/p99: command → form open ${ms(steps.modal.p50, 0)}/${ms(steps.modal.p99, 0)}, ` +
      `submission ack → card posted ${ms(steps.card.p50, 0)}/${ms(steps.card.p99, 0)}, ` +
      `approve click → result in thread ${ms(steps.result.p50, 0)}/${ms(steps.result.p99, 0)}`,
  );
  if (sustained.reducedBecause) say(`   REDUCED: ${sustained.reducedBecause}`);
  for (const error of sustained.errors) say(`   error: ${error}`);
  say(
    `   CPU during phase 3: bot ${sustained.cpu.botPercent.toFixed(0)}% of one core, ` +
      `simulators ${sustained.cpu.parentPercent.toFixed(0)}%` +
      (sustained.cpu.generatorPercent === undefined
        ? ''
        : `, load generator ${sustained.cpu.generatorPercent.toFixed(0)}%`),
  );
  say(
    `   phases 1-2 (1st bot): ${acks.results.granted + slow.controlResults.granted + slow.slowResults.granted} of ${acks.approvals + slow.approvals} approvals granted, ` +
      `${acks.results.failed + slow.controlResults.failed + slow.slowResults.failed} failed, ` +
      `${acks.results.missing + slow.controlResults.missing + slow.slowResults.missing} without a result, ${acks.lost + slow.lost} requests lost before approval`,
  );
  for (const [label, db] of Object.entries(databases)) {
    say(
      `   ${label} database: ${JSON.stringify(db.statuses)}, notices pending ${db.noticesPending}, given up ${db.noticesGivenUp}`,
    );
  }
  say('   Calls per complete flow (phase 3):');
  const callRows = [...tally2.slack.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([method, count]) => [`Slack ${method}`, String(count), (count / n).toFixed(3)]);
  callRows.push(['Mimecast find-delegate-users', String(finds), (finds / n).toFixed(3)]);
  callRows.push(['Mimecast add-delegate-user', String(adds), (adds / n).toFixed(3)]);
  say(indent(table(['call', 'total', 'per flow'], callRows)));
  say('   usergroups.users.list loads, per group and bot process (allowed: one per cache period begun):');
  say(indent(table(['bot, group', 'lifetime', 'loads', 'allowed'], groupRows)));
  say(
    `   Mimecast adds, whole run: ${addsTotal} for ${approvals} approvals (${pairsNotOnce} pairs added ≠ once)`,
  );
  const slackErrors = [tally1, tally2].flatMap((tally) => [...tally.slackErrors.entries()]);
  if (slackErrors.length) {
    say(`   Slack calls refused: ${slackErrors.map(([error, count]) => `${count}× ${error}`).join(', ')}`);
  }
  const problems = [...tally1.problems, ...tally2.problems];
  if (problems.length) say(`   Slack simulator problems: ${problems.slice(0, 5).join(' | ')}`);

  // 4. memory
  const first = sustained.checkpoints[0];
  const last = sustained.checkpoints.at(-1);
  const peak = Math.max(peaks.bot1, peaks.bot2, ...sustained.checkpoints.map((c) => c.stats.rss));
  const growth =
    first && last && last !== first ? (last.stats.rss - first.stats.rss) / first.stats.rss : Number.NaN;
  const peakPass = peak < 150 * 1024 * 1024;
  const growthPass = Number.isFinite(growth) && growth < 0.1 && (last?.flows ?? 0) >= SUSTAINED_FLOWS;
  targets.push({ name: 'bot RSS peak < 150 MB', measured: mb(peak), pass: peakPass });
  targets.push({
    name: `bot RSS growth < 10% from ${first?.flows ?? '?'} to ${SUSTAINED_FLOWS} flows`,
    measured: `${(growth * 100).toFixed(1)}% (at ${last?.flows ?? '?'} flows)`,
    pass: growthPass,
  });
  say();
  say('4. Memory of the bot process alone: RSS sampled every 250 ms; checkpoints after a forced full GC');
  say(
    indent(
      table(
        ['RSS', 'value', 'target', 'result'],
        [
          ['peak, 1st bot process (phases 1-2)', mb(peaks.bot1), '', ''],
          [
            'peak, 2nd bot process (phase 3)',
            mb(Math.max(peaks.bot2, ...sustained.checkpoints.map((c) => c.stats.rss))),
            '',
            '',
          ],
          ['peak, both', mb(peak), '< 150 MB', peakPass ? 'PASS' : 'FAIL'],
          ['steady: median in phase 3 after the 1st batch', mb(sustained.steadyRss), '', ''],
          [`after ${first?.flows ?? '?'} flows (forced GC)`, first ? mb(first.stats.rss) : '-', '', ''],
          [`after ${last?.flows ?? '?'} flows (forced GC)`, last ? mb(last.stats.rss) : '-', '', ''],
          ['growth between the two', `${(growth * 100).toFixed(1)}%`, '< 10%', growthPass ? 'PASS' : 'FAIL'],
          ['baseline Bolt app after phase 1 (for scale)', mb(baselineRss), '', ''],
        ],
      ),
    ),
  );
  say('   Phase 3 batch by batch (after a forced GC each): throughput, bot CPU per flow, and memory');
  say(
    indent(
      table(
        ['flows', 'flows/s', 'CPU ms/flow', 'RSS', 'heap used', 'heap total', 'external'],
        sustained.checkpoints.map((c, i) => [
          String(c.flows),
          (sustained.batches[i]?.flowsPerSecond ?? Number.NaN).toFixed(1),
          ms(sustained.batches[i]?.botCpuMsPerFlow ?? Number.NaN, 1),
          mb(c.stats.rss),
          mb(c.stats.heapUsed),
          mb(c.stats.heapTotal),
          mb(c.stats.external),
        ]),
      ),
    ),
  );

  // 5. startup
  const starts = [readyMs.bot1, readyMs.bot2];
  const startPass = Math.max(...starts) < 2000;
  targets.push({
    name: 'bot process start → /readyz 200 < 2 s',
    measured: starts.map((t) => `${ms(t, 0)} ms`).join(', '),
    pass: startPass,
  });
  say();
  say('5. Startup: bot child process spawned → GET /readyz answers 200 (polled every 5 ms)');
  say(
    `   ${starts.map((t) => `${ms(t, 0)} ms`).join(' and ')} (target < 2 s: ${startPass ? 'PASS' : 'FAIL'}); ` +
      `baseline ready (over IPC) in ${ms(readyMs.baseline, 0)} ms`,
  );

  if (logs.length) {
    say();
    say('Log lines of the processes under test (warn level and above):');
    for (const line of logs.slice(0, 10)) say(`   ${line}`);
  }

  say();
  say('Targets');
  say(
    indent(
      table(
        ['target', 'measured', 'result'],
        targets.map((t) => [t.name, t.measured, t.pass ? 'PASS' : 'FAIL']),
      ),
    ),
  );
  say(
    `${targets.filter((t) => t.pass).length} of ${targets.length} targets pass. Total bench duration: ${durationS.toFixed(1)} s.`,
  );

  const json = {
    at: new Date().toISOString(),
    source: version,
    durationS,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      node: process.version,
      totalMemory: totalmem(),
      otherProcessesCores: otherCores,
    },
    settings: {
      ackRequests: ACK_REQUESTS,
      concurrency: CONCURRENCY,
      slowMimecastMs: SLOW_MIMECAST_MS,
      slowClicks: SLOW_CLICKS,
      sustainedFlows: SUSTAINED_FLOWS,
      batchFlows: BATCH_FLOWS,
      groupCacheTtlSeconds: GROUP_CACHE_TTL_SECONDS,
      store,
      layout:
        'bot and baseline each alone in a child process (plain node); simulators in the parent, which builds the signed requests; the load generator, which sends and times them, in a process of its own',
      placement,
    },
    acks: {
      bot: summaries(acks.bot),
      baseline: summaries(acks.baseline),
      withinFlows: sustained.acks,
    },
    waits: {
      formOpen: {
        bot: { c1: acks.bot.command.c1.formOpen, c50: acks.bot.command.c50.formOpen },
        baseline: { c1: acks.baseline.command.c1.formOpen, c50: acks.baseline.command.c50.formOpen },
      },
      clickToResult: acks.clickToResult,
      withinFlows: sustained.after,
    },
    slowMimecast: {
      control,
      delayed,
      controlResults: slow.controlResults,
      delayedResults: slow.slowResults,
    },
    flows: {
      sustained,
      slackCallsPerFlow: Object.fromEntries([...tally2.slack].map(([method, count]) => [method, count / n])),
      mimecastCallsPerFlow: { find: finds / n, add: adds / n },
      adds: { total: addsTotal, approvals, pairsNotOnce },
      groupLoads: {
        bot1: { lifetimeS: bot1LifetimeS, loads: Object.fromEntries(tally1.groupLoads) },
        bot2: { lifetimeS: bot2LifetimeS, loads: Object.fromEntries(tally2.groupLoads) },
      },
      databases,
      slackErrors: Object.fromEntries(slackErrors),
      problems,
    },
    memory: { peak, steady: sustained.steadyRss, growth, baselineRss },
    startup: { botReadyMs: starts, baselineReadyMs: readyMs.baseline },
    targets,
  };
  return { text: out.join('\n'), json };
}
