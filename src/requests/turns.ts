/**
 * Work done after an ack shares the event loop with the acks of other requests, and Slack gives each
 * 3 seconds. So that work waits for a turn, given out after the pass of the event loop that reads
 * (and acks) incoming requests:
 * - `soon()`, for what a person is waiting to see (the modal a command opens): every such step
 *   waiting runs in the next pass, after that pass's acks;
 * - `next()`, for background work (the notice outbox, the Mimecast call after an approval): one step
 *   per pass, so an incoming request waits behind at most one of them, however many are ready.
 * With nothing else to do, the steps run back to back.
 */
export class Turns {
  private readonly interactive: (() => void)[] = [];
  private readonly background: (() => void)[] = [];
  private scheduled = false;

  /** Resolves when this background step may run (up to its next await of real I/O). */
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.background.push(resolve);
      this.schedule();
    });
  }

  /** Resolves in the next pass of the event loop, once the acks read in this one are sent. */
  soon(): Promise<void> {
    return new Promise((resolve) => {
      this.interactive.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs after the poll phase, where incoming requests are read and acked.
    setImmediate(() => {
      this.scheduled = false;
      for (const resolve of this.interactive.splice(0)) resolve();
      this.background.shift()?.();
      if (this.interactive.length > 0 || this.background.length > 0) this.schedule();
    });
  }
}

/** For code with no event loop to share (unit tests of the parts). */
export const NO_WAIT = { next: () => Promise.resolve(), soon: () => Promise.resolve() } satisfies TurnTaker;

export type TurnTaker = Pick<Turns, 'next' | 'soon'>;
