import { ContextConsumer } from '@lit/context';
import { LitElement } from 'lit';
import type { AppState } from '../app-state';
import { type AppActions, type AppContext, appContext } from '../context';

/**
 * Base of the app's views: takes the store and the actions from the shell's context (@lit/context) and
 * re-renders when one of the state keys in `watch` changes. A view renders nothing until it is in the app.
 */
export abstract class AppView extends LitElement {
  /** The state keys this view shows. */
  protected abstract readonly watch: readonly (keyof AppState)[];
  private unsubscribe: (() => void) | undefined;
  private app: AppContext | undefined;

  constructor() {
    super();
    new ContextConsumer(this, {
      context: appContext,
      callback: (app) => {
        this.unsubscribe?.();
        this.app = app;
        this.unsubscribe = app.store.subscribe((_, changed) => {
          if (this.watch.some((k) => changed.has(k))) this.requestUpdate();
        });
        this.requestUpdate();
      },
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.app = undefined;
  }

  /** The app's state now (undefined before the view is connected to the app). */
  protected get state(): Readonly<AppState> | undefined {
    return this.app?.store.state;
  }

  protected get actions(): AppActions | undefined {
    return this.app?.actions;
  }
}
