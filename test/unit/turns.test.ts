import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Turns } from '../../src/requests/turns.js';

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // a step of background work that keeps the CPU
  }
}

describe('Turns', () => {
  it('runs one background step per pass of the event loop, and every waiting interactive step', async () => {
    const turns = new Turns();
    const order: string[] = [];
    const background = [1, 2, 3].map((i) =>
      turns.next().then(() => {
        order.push(`background ${i}`);
        // Runs in the next pass: after one more background step, before the third.
        if (i === 1) setImmediate(() => order.push('next pass'));
      }),
    );
    const interactive = [1, 2].map((i) => turns.soon().then(() => order.push(`interactive ${i}`)));
    await Promise.all([...background, ...interactive]);
    expect(order).toEqual([
      'interactive 1',
      'interactive 2',
      'background 1',
      'background 2',
      'next pass',
      'background 3',
    ]);
  });

  it('answers an HTTP request that arrives while 200 background steps wait, after at most a few of them', async () => {
    const turns = new Turns();
    let stepsRun = 0;
    let stepsBeforeAnswer = -1;
    const server = createServer((_request, response) => {
      stepsBeforeAnswer = stepsRun;
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      // Warm up the connection path first, so that the measured request is not held up by set-up.
      await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
      const steps = Array.from({ length: 200 }, () =>
        turns.next().then(() => {
          busy(2);
          stepsRun += 1;
        }),
      );
      const answered = fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
      expect(await answered).toBe('ok');
      await Promise.all(steps);
      expect(stepsRun).toBe(200);
      // Without turns all 200 steps (400 ms of CPU) would run before the request is read.
      expect(stepsBeforeAnswer).toBeGreaterThanOrEqual(0);
      expect(stepsBeforeAnswer).toBeLessThan(20);
    } finally {
      server.close();
    }
  });
});
