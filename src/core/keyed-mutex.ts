/**
 * Runs tasks for the same key one after another (in arrival order) and tasks
 * for different keys concurrently. Used so that the events of one call
 * (a digit, a hang-up, an operator answering) are applied in order.
 */
export class KeyedMutex {
  private tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running (for leak checks). */
  get size(): number {
    return this.tails.size;
  }
}
