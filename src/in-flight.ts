/**
 * Work under way that a stopping process waits for after telling it to stop (through its signal): a
 * scan started from Slack records that it was cancelled before the database is closed.
 */
export class InFlight {
  private readonly items = new Set<Promise<unknown>>();

  track<T>(work: Promise<T>): Promise<T> {
    this.items.add(work);
    const forget = () => this.items.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Resolves when everything tracked so far has settled. */
  async drained(): Promise<void> {
    await Promise.allSettled([...this.items]);
  }
}
