/**
 * The simulator's log: every Web API call and response_url post, the problems noticed along the way
 * (things Slack would accept or hide but that are almost certainly bugs in the app), and the change
 * notifications that waitFor() listens to.
 */
import type { RecordedCall, SimResponse } from './records.js';

export class Recorder {
  readonly calls: RecordedCall[] = [];
  readonly responses: SimResponse[] = [];
  /** Things the real Slack would accept or hide but that are almost certainly bugs in the app. */
  readonly problems: string[] = [];
  private readonly listeners = new Set<() => void>();

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Tells every waitFor() probe that something was recorded. */
  changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  reportProblem(problem: string): void {
    this.problems.push(problem);
    this.changed();
  }

  /**
   * Resolves with the probe's first truthy result. The probe runs now, after every recorded change and
   * on a short poll; on timeout the rejection lists recent calls and problems to show what happened.
   */
  waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let lastError: unknown;
      let settled = false;
      const check = (): void => {
        if (settled) return;
        try {
          const value = probe();
          if (value) {
            settled = true;
            cleanup();
            resolve(value);
          }
        } catch (error) {
          lastError = error;
        }
      };
      const poll = setInterval(check, 20);
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        cleanup();
        const recent = this.calls
          .slice(-10)
          .map((call) => `  ${call.method} → ${call.ok ? 'ok' : call.error}`)
          .join('\n');
        const details = [
          `waitFor timed out after ${timeoutMs}ms`,
          lastError === undefined ? '' : `last probe error: ${String(lastError)}`,
          `recent Slack API calls:\n${recent || '  (none)'}`,
          this.problems.length > 0 ? `problems:\n  ${this.problems.join('\n  ')}` : '',
        ];
        reject(new Error(details.filter(Boolean).join('\n')));
      }, timeoutMs);
      const cleanup = (): void => {
        clearInterval(poll);
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  clear(): void {
    this.calls.length = 0;
    this.responses.length = 0;
    this.problems.length = 0;
  }
}
