import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Store } from '../store';

/** Re-renders its host when one of `keys` changes in the store (any key when none are given). */
export class StoreController<S extends object> implements ReactiveController {
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly store: Store<S>,
    private readonly keys?: readonly (keyof S)[],
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.unsubscribe ??= this.store.subscribe((_, changed) => {
      if (!this.keys || this.keys.some((k) => changed.has(k))) this.host.requestUpdate();
    });
  }

  hostDisconnected(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}
