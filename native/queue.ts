// An async-iterable queue fed from event-loop callbacks: what the ring buffer and the trace
// pipe hand to `for await`. Internal.

/**
 * Items pushed by a producer, consumed by at most one `for await` loop. `onPressure(true)` is
 * called when more than `highWater` items wait, `onPressure(false)` once they are taken, so the
 * producer can stop reading the kernel (events then wait, or drop, in the kernel, not in JS).
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private head = 0;
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private failure: Error | undefined;
  private ended = false;
  private pressured = false;

  constructor(private readonly highWater: number, private readonly onPressure: (pressured: boolean) => void, private readonly onReturn: () => void) {}

  push(item: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
      return;
    }
    this.items.push(item);
    if (!this.pressured && this.items.length - this.head > this.highWater) {
      this.pressured = true;
      this.onPressure(true);
    }
  }

  /** Ends iteration after the queued items; with an error, the loop throws it. */
  end(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    if (this.waiting && this.head >= this.items.length) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items.splice(0, this.head);
        this.head = 0;
      }
      if (this.pressured && this.items.length - this.head <= this.highWater / 2) {
        this.pressured = false;
        this.onPressure(false);
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) {
      const failure = this.failure;
      this.failure = undefined;
      return failure ? Promise.reject(failure) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve) => { this.waiting = resolve; });
  }

  /** Called when a `for await` loop exits early (break/throw): the source closes. */
  return(): Promise<IteratorResult<T>> {
    this.end();
    this.onReturn();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> { return this; }
}
