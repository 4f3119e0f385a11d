/** Thrown when an AbortSignal stops a run (the CLI and the worker recognise it by its name). */
export class AbortError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'AbortError';
  }
}

/**
 * Throws AbortError (message 'cancelled') when `signal` is aborted; nothing when it is not or is undefined. Long runs
 * call it between batches so a cancel is seen within one batch.
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError();
}

/**
 * Lets queued events run between steps. On the CPU backend every await inside a step resolves as a microtask, so
 * without this a SIGINT handler or a worker's "cancel" message would only be seen after the whole run.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * `work`, or an AbortError as soon as `signal` aborts, whichever comes first. For GPU read-backs: the worker sees
 * a "cancel" message while it waits for the GPU (the wait polls on the event loop), and the job stops at once
 * instead of after the queued work drains. The caller still owns (and disposes) whatever `work` reads; a late
 * result or failure of `work` is ignored.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new AbortError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
