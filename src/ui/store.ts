/**
 * One small observable store for the app's shared state: controllers write to it, views read it and re-render
 * when the keys they show change. Plain TypeScript (no DOM, no Lit), so controllers that use it are unit-tested
 * in Node. Updates are shallow merges; a key counts as changed when its value is not `Object.is` the old one, so
 * writers replace objects and arrays instead of mutating them.
 */
export type StoreListener<S> = (state: Readonly<S>, changed: ReadonlySet<keyof S>) => void;

/** The store: `state`, `set`, `update`, `subscribe`. */
export class Store<S extends object> {
  private current: S;
  private readonly listeners = new Set<StoreListener<S>>();

  constructor(initial: S) {
    this.current = initial;
  }

  /** The state now (replaced, never mutated, by `set`). */
  get state(): Readonly<S> {
    return this.current;
  }

  /** Merges `patch` into the state and tells every listener which keys changed (nothing happens if none did). */
  set(patch: Partial<S>): void {
    const changed = new Set<keyof S>();
    for (const key of Object.keys(patch) as (keyof S)[]) if (!Object.is(patch[key], this.current[key])) changed.add(key);
    if (changed.size === 0) return;
    this.current = { ...this.current, ...patch };
    for (const listener of [...this.listeners]) listener(this.current, changed);
  }

  /** `set` with a patch computed from the state now. */
  update(patch: (state: Readonly<S>) => Partial<S>): void {
    this.set(patch(this.current));
  }

  /** Calls `listener` after every change; returns the function that unsubscribes it. */
  subscribe(listener: StoreListener<S>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
