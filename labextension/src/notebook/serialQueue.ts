/**
 * Runs async tasks one at a time, in the order they were queued. A task that fails
 * does not stop the ones after it (its caller gets the failure).
 */
export class SerialQueue {
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this._tail.then(task);
    this._tail = result.then(
      () => undefined,
      () => undefined
    );
    return result;
  }

  private _tail: Promise<void> = Promise.resolve();
}
