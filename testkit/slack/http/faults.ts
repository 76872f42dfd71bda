/** Failures a test injects into the Web API: an error answer (a rate limit, an outage) or no answer at all. */
import type { FailureSpec } from '../records.js';

export class FaultQueue {
  private readonly failures = new Map<string, FailureSpec[]>();
  private readonly holds = new Map<string, number>();

  failNext(method: string, spec: FailureSpec): void {
    const queue = this.failures.get(method) ?? [];
    queue.push({ ...spec, times: spec.times ?? 1 });
    this.failures.set(method, queue);
  }

  holdNext(method: string): void {
    this.holds.set(method, (this.holds.get(method) ?? 0) + 1);
  }

  /** Whether this call to `method` is to be held (and spends the hold). */
  takeHold(method: string): boolean {
    const held = this.holds.get(method) ?? 0;
    if (held <= 0) return false;
    this.holds.set(method, held - 1);
    return true;
  }

  /** The failure this call to `method` answers with, if one is queued (and spends it). */
  takeFailure(method: string): FailureSpec | undefined {
    const queue = this.failures.get(method);
    const next = queue?.[0];
    if (queue === undefined || next === undefined) return undefined;
    next.times = (next.times ?? 1) - 1;
    if (next.times <= 0) queue.shift();
    return next;
  }

  clear(): void {
    this.failures.clear();
    this.holds.clear();
  }
}
