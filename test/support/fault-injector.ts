/**
 * Preloaded into a bot process by test/faults/process-guards.test.ts (`node --import tsx --import
 * ./test/support/fault-injector.ts src/main.ts`): on a message over the IPC channel, it makes an error
 * nobody catches, inside a request context, as a bug in a request's handling would:
 * - `rejection`: an unhandled promise rejection;
 * - `connection-error`: an uncaught ECONNRESET, as a socket without an error listener throws;
 * - `exception`: an uncaught TypeError from a timer.
 */
type Context = typeof import('../../src/request-context.js');

// Loaded lazily so that a bot without request contexts (before they existed) still starts.
const contexts: Context | undefined = await import('../../src/request-context.js').catch(() => undefined);

function inRequest(work: () => void): void {
  const fields = { method: 'POST', path: '/injected', kind: 'fault injection', user: 'UINJECTED' };
  if (contexts) contexts.withRequestContext(fields, work);
  else work();
}

process.on('message', (message: unknown) => {
  const inject = (message as { inject?: unknown } | null)?.inject;
  if (inject === 'rejection') {
    inRequest(() => {
      void Promise.reject(new Error('injected rejection'));
    });
  } else if (inject === 'connection-error') {
    inRequest(() => {
      setImmediate(() => {
        throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      });
    });
  } else if (inject === 'exception') {
    inRequest(() => {
      setImmediate(() => {
        throw new TypeError('injected exception');
      });
    });
  }
});
