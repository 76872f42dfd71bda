/**
 * The real entry point (src/main.ts) in a process of its own (issue 14, item 2): a signed body that
 * used to make Bolt throw outside any handler, and exit the process, is refused; an error nobody
 * catches is logged with its request and the bot keeps serving where that is safe; an uncaught
 * exception that is not is logged and stops the process in order, exit code 1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { simulatorSettings } from '../../testkit/local-stack.js';
import { SlackDriver } from '../../testkit/slack-driver/index.js';
import { type Harness, SIGNING_SECRET, startHarness, USERS, waitUntil } from '../support/harness.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

let h: Harness | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  child = undefined;
  await h?.close();
  h = undefined;
});

interface MainProcess {
  process: ChildProcess;
  port: number;
  driver: SlackDriver;
  /** Every JSON log line it wrote, parsed. */
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

/** `node src/main.ts` on the harness's simulators, with the fault injector preloaded. */
async function startMain(stack: Harness): Promise<MainProcess> {
  const env = {
    PATH: process.env.PATH,
    ...simulatorSettings(stack.sim, stack.mimecast, `${stack.databasePath}.main`),
    PORT: '0',
    LOG_LEVEL: 'info',
    MIMECAST_TIMEOUT_MS: '2000',
  };
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', './test/support/fault-injector.ts', 'src/main.ts'],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  child = proc;
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const exited = once(proc, 'exit').then(([code]) => code as number | null);
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`main did not start:\n${raw.join('\n')}`)), 15_000);
    proc.stderr?.on('data', (chunk: Buffer) => raw.push(chunk.toString()));
    proc.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        const text = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        raw.push(text);
        try {
          const line = JSON.parse(text) as Record<string, unknown>;
          lines.push(line);
          if (line.msg === 'delegate bot ready') {
            clearTimeout(timer);
            resolve(Number(line.port));
          }
        } catch {
          // not a log line
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`main exited with ${code}:\n${raw.join('\n')}`));
    });
  });
  const driver = new SlackDriver({
    appUrl: `http://127.0.0.1:${port}/slack/events`,
    signingSecret: SIGNING_SECRET,
    sim: stack.sim,
  });
  return { process: proc, port, driver, lines, exited };
}

async function healthy(main: MainProcess): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${main.port}/healthz`)).status === 200;
  } catch {
    return false;
  }
}

function logged(main: MainProcess, msg: string) {
  return waitUntil(async () => main.lines.find((line) => line.msg === msg), `the log line "${msg}"`, 10_000);
}

describe('the process keeps serving what it safely can', () => {
  it('signed bodies that used to stop the process are refused, and it still answers', async () => {
    h = await startHarness();
    await h.stopBot();
    const main = await startMain(h);
    const bodies: [string, string][] = [
      ['payload=null', 'application/x-www-form-urlencoded'],
      ['payload=42', 'application/x-www-form-urlencoded'],
      ['null', 'application/json'],
      ['"text"', 'application/json'],
      ['[1,[2,{"event":null}]]', 'application/json'],
      ['{"type":"event_callback","event":null}', 'application/json'],
    ];
    for (const [body, contentType] of bodies) {
      const answer = await main.driver.send(body, { contentType }).catch((error: unknown) => ({
        status: `no answer: ${String(error)}`,
      }));
      expect(answer.status, body).toBe(400);
    }
    expect(await healthy(main)).toBe(true);
    const command = await main.driver.command(USERS.alice.id, '/delegate', 'help');
    expect(command.status).toBe(200);
    await h.sim.waitFor(() => h?.sim.responses.find((r) => r.url === command.responseUrl));
    expect(main.process.exitCode).toBeNull();
  });

  it('an unhandled rejection and a connection error are logged with their request; it goes on serving', async () => {
    h = await startHarness();
    await h.stopBot();
    const main = await startMain(h);

    main.process.send({ inject: 'rejection' });
    const rejection = await logged(main, 'unhandled promise rejection; still serving');
    expect(rejection).toMatchObject({
      level: 50,
      err: { message: 'injected rejection' },
      req: { path: '/injected', kind: 'fault injection', user: 'UINJECTED', request: expect.any(Number) },
    });
    main.process.send({ inject: 'connection-error' });
    const reset = await logged(main, 'uncaught connection error; still serving');
    expect(reset).toMatchObject({ level: 40, err: { code: 'ECONNRESET' }, req: { path: '/injected' } });

    expect(await healthy(main)).toBe(true);
    const command = await main.driver.command(USERS.alice.id, '/delegate', 'help');
    expect(command.status).toBe(200);
    expect(main.process.exitCode).toBeNull();
  });

  it('any other uncaught exception is logged with its request and stops the process in order, exit code 1', async () => {
    h = await startHarness();
    await h.stopBot();
    const main = await startMain(h);
    main.process.send({ inject: 'exception' });
    expect(await main.exited).toBe(1);
    const fatal = main.lines.find(
      (line) => line.msg === 'uncaught exception: stopping, as it is not safe to go on',
    );
    expect(fatal).toMatchObject({
      level: 60,
      err: { message: 'injected exception' },
      req: { path: '/injected' },
    });
    expect(main.lines.some((line) => line.msg === 'shutting down')).toBe(true);
  });
});
