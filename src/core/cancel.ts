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
