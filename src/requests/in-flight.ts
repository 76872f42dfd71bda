/**
 * Work started in the background and not awaited by whoever started it (the Mimecast call after an
 * approval, a removal, a sweep), kept so that an orderly stop and the tests can wait for it to end.
 */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  /**
   * Keeps `work` until it settles; returns it unchanged. Its outcome stays the caller's: a rejection
   * is theirs to handle (or log), since being tracked counts as handled for Node's unhandled check.
   */
  track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const done = () => {
      this.running.delete(work);
    };
    work.then(done, done);
    return work;
  }

  /** True while any tracked work is running. */
  get busy(): boolean {
    return this.running.size > 0;
  }

  /** Resolves once nothing is running, including work started while waiting. Never rejects. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
