/**
 * Work that follows an ack runs here, a few items at a time, each started from a fresh turn of the
 * event loop. Under a burst of commands the loop keeps taking in (and acking) new requests between
 * items instead of running every command's work at once; aborts never come through here.
 */
export class AfterAckQueue {
  private readonly waiting: Array<() => Promise<void>> = [];
  private active = 0;

  constructor(
    private readonly concurrency = 2,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  push(work: () => Promise<void>): void {
    this.waiting.push(work);
    this.pump();
  }

  get pending(): number {
    return this.waiting.length + this.active;
  }

  /** Waits until every queued item has run (at shutdown), or until `timeoutMs` passes. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending > 0) {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  private pump(): void {
    while (this.active < this.concurrency && this.waiting.length > 0) {
      const work = this.waiting.shift()!;
      this.active++;
      setImmediate(() => {
        work()
          .catch(this.onError)
          .finally(() => {
            this.active--;
            this.pump();
          });
      });
    }
  }
}
