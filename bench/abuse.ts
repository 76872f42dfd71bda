/**
 * `npm run bench -- --abuse`: what unsigned, oversized and stalled bodies cost the bot before it knows
 * they are not Slack's (issue 14, item 1), with large numbers, each app in a process of its own. Three
 * attacks in turn, ABUSE_CONNECTIONS connections each (120 by default):
 *
 * - declared: `Content-Length: 4 MB`, 4 MB sent, then the sender stalls (the attack as reported);
 * - chunked: 4 MB sent in chunks without a declared length, then it stalls;
 * - within: a body declared just under the body limit, all but 1 KB of it sent, then it stalls (what
 *   the limit still lets a sender hold, until the request timeout).
 *
 * The bot (its GuardedReceiver) and the baseline (Bolt's HTTPReceiver alone, as the bot had it before)
 * get the same attacks. Reported: RSS before (after a full GC), the peak while the senders stall, RSS
 * after they are cut off or give up (after a full GC), how /healthz answered meanwhile, what the
 * senders were answered, and how long until the server had closed every connection.
 */
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { HTTP_LIMITS } from '../src/slack/http-limits.js';
import { BenchChild } from './children.js';
import { progress, RssSampler } from './phases.js';
import { startWorkspace } from './workspace.js';

const CONNECTIONS = Number(process.env.ABUSE_CONNECTIONS ?? 120) || 120;
const MB = 1024 * 1024;
/** How long the senders stall before they give up (longer than the bot's request timeout). */
const STALL_MS = HTTP_LIMITS.requestTimeoutMs + 5_000;
const RESULTS_PATH = fileURLToPath(new URL('./abuse-results.json', import.meta.url));

type AttackKind = 'declared' | 'chunked' | 'within';
const ATTACKS: AttackKind[] = ['declared', 'chunked', 'within'];

interface Sender {
  socket: Socket;
  received: string;
  closedAt: number | undefined;
}

interface AttackResult {
  app: string;
  attack: AttackKind;
  connections: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  rssAfterMb: number;
  healthz: { answered: number; asked: number; maxMs: number };
  answers: Record<string, number>;
  /** Seconds until the server had closed every connection; null if some were still open when the senders gave up. */
  allClosedAfterS: number | null;
}

function headersFor(kind: AttackKind): string {
  const lines = [
    'POST /slack/events HTTP/1.1',
    'Host: 127.0.0.1',
    'Content-Type: application/x-www-form-urlencoded',
  ];
  if (kind === 'declared') lines.push(`Content-Length: ${4 * MB}`);
  if (kind === 'within') lines.push(`Content-Length: ${HTTP_LIMITS.bodyLimitBytes - 16}`);
  if (kind === 'chunked') lines.push('Transfer-Encoding: chunked');
  // Signed-looking: a fresh timestamp and a well-formed (wrong) signature, so no header check stops it.
  lines.push(
    `X-Slack-Request-Timestamp: ${Math.floor(Date.now() / 1000)}`,
    `X-Slack-Signature: v0=${'0'.repeat(64)}`,
  );
  return `${lines.join('\r\n')}\r\n\r\n`;
}

async function openSender(port: number, kind: AttackKind, payload: Buffer): Promise<Sender> {
  const socket = connect(port, '127.0.0.1');
  const sender: Sender = { socket, received: '', closedAt: undefined };
  socket.on('data', (chunk: Buffer) => {
    if (sender.received.length < 200) sender.received += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    sender.closedAt = performance.now();
  });
  await once(socket, 'connect').catch(() => undefined);
  if (sender.closedAt !== undefined) return sender;
  socket.write(headersFor(kind));
  if (kind === 'within') socket.write(payload.subarray(0, HTTP_LIMITS.bodyLimitBytes - 16 - 1024));
  else if (kind === 'chunked')
    socket.write(Buffer.concat([Buffer.from(`${payload.length.toString(16)}\r\n`), payload]));
  else socket.write(payload);
  return sender;
}

async function askHealthz(port: number): Promise<number | undefined> {
  const started = performance.now();
  try {
    const response = await request(`http://127.0.0.1:${port}/healthz`, {
      headersTimeout: 2000,
      bodyTimeout: 2000,
    });
    await response.body.dump();
    return response.statusCode === 200 ? performance.now() - started : undefined;
  } catch {
    return undefined;
  }
}

async function attack(app: BenchChild, kind: AttackKind): Promise<AttackResult> {
  const rssBefore = (await app.stats(true)).rss;
  const sampler = new RssSampler(app);
  const payload = Buffer.alloc(4 * MB, 'a');
  const started = performance.now();
  const senders = await Promise.all(
    Array.from({ length: CONNECTIONS }, () => openSender(app.port, kind, payload)),
  );
  const healthz: number[] = [];
  let asked = 0;
  while (performance.now() - started < STALL_MS && senders.some((sender) => sender.closedAt === undefined)) {
    asked += 1;
    const ms = await askHealthz(app.port);
    if (ms !== undefined) healthz.push(ms);
    await sleep(250);
  }
  const open = senders.filter((sender) => sender.closedAt === undefined).length;
  const closedAfter = Math.max(...senders.map((sender) => sender.closedAt ?? 0)) - started;
  // What each sender got before it gave up: a status, the connection closed without one, or nothing.
  const answers: Record<string, number> = {};
  for (const sender of senders) {
    const status =
      /^HTTP\/1\.1 (\d{3})/.exec(sender.received)?.[1] ??
      (sender.closedAt === undefined ? 'no answer' : 'closed unanswered');
    answers[status] = (answers[status] ?? 0) + 1;
  }
  // The senders give up.
  for (const sender of senders) sender.socket.destroy();
  await sleep(500);
  sampler.stop();
  const rssAfter = (await app.stats(true)).rss;
  return {
    app: app.kind === 'bot' ? 'bot (GuardedReceiver)' : "Bolt's HTTPReceiver alone",
    attack: kind,
    connections: CONNECTIONS,
    rssBeforeMb: rssBefore / MB,
    rssPeakMb: Math.max(sampler.peak, rssBefore) / MB,
    rssAfterMb: rssAfter / MB,
    healthz: { answered: healthz.length, asked, maxMs: Math.max(0, ...healthz) },
    answers,
    allClosedAfterS: open === 0 ? closedAfter / 1000 : null,
  };
}

function table(results: AttackResult[]): string {
  const lines = [
    `Abuse: ${CONNECTIONS} connections per attack, each stalling up to ${STALL_MS / 1000} s; body limit ${HTTP_LIMITS.bodyLimitBytes / 1024} KB, request timeout ${HTTP_LIMITS.requestTimeoutMs / 1000} s`,
    '',
    '| app | attack | RSS before | peak | after | /healthz answered (max ms) | answers | all closed after |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const answers = Object.entries(r.answers)
      .map(([status, count]) => `${count}× ${status}`)
      .join(', ');
    lines.push(
      `| ${r.app} | ${r.attack} | ${r.rssBeforeMb.toFixed(0)} MB | ${r.rssPeakMb.toFixed(0)} MB | ${r.rssAfterMb.toFixed(0)} MB | ` +
        `${r.healthz.answered}/${r.healthz.asked} (${r.healthz.maxMs.toFixed(0)}) | ${answers} | ${r.allClosedAfterS === null ? `not within ${STALL_MS / 1000} s` : `${r.allClosedAfterS.toFixed(1)} s`} |`,
    );
  }
  return lines.join('\n');
}

/** Runs the attacks on the bot, then on the baseline; prints the table and writes bench/abuse-results.json. */
export async function runAbuse(): Promise<void> {
  const ws = await startWorkspace(performance.now() + 10 * 60_000, 'sqlite');
  const children: BenchChild[] = [];
  try {
    const results: AttackResult[] = [];
    for (const kind of ['bot', 'baseline'] as const) {
      progress(`abuse: starting the ${kind}`);
      const { child } = await BenchChild.start(
        kind,
        ws.script,
        ws.botEnv(await ws.newDatabase(`abuse-${kind}`)),
      );
      children.push(child);
      for (const attackKind of ATTACKS) {
        progress(`abuse: ${kind}, ${CONNECTIONS} × ${attackKind}`);
        results.push(await attack(child, attackKind));
      }
      await child.stop();
    }
    const text = table(results);
    writeFileSync(RESULTS_PATH, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`${text}\n\nResults written to bench/abuse-results.json`);
  } finally {
    for (const child of children) await child.stop();
    await ws.close();
  }
}
