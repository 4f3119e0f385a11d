import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { type ShortcutAction, shortcutFor } from '../shortcuts';

/** The part of a key event the controller reads (a KeyboardEvent in the browser; a plain object in tests). */
export type KeyEventLike = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'preventDefault' | 'composedPath'>;

/** What the shortcut controller asks of the app. */
export interface ShortcutHooks {
  /** The `?` overlay is open: only `help` and `close` act. */
  helpOpen(): boolean;
  perform(action: ShortcutAction): void;
  /** A view key was pressed on the tab strip: keep the focus on the selected tab (the ARIA tabs pattern). */
  refocusTab(): void;
}

/**
 * Keyboard shortcuts (the table in src/ui/shortcuts.ts): listens on the window, leaves keys typed into fields to
 * the field and Space/Enter on a button to the button, and passes every other bound key to `perform`.
 */
export class ShortcutsController implements ReactiveController {
  constructor(
    host: ReactiveControllerHost,
    private readonly hooks: ShortcutHooks,
    private readonly target: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> = window,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.target.addEventListener('keydown', this.listener);
  }

  hostDisconnected(): void {
    this.target.removeEventListener('keydown', this.listener);
  }

  private readonly listener = (event: Event): void => void this.onKey(event as KeyboardEvent);

  /** Handles one key press; returns the action performed, if any. */
  readonly onKey = (event: KeyEventLike): ShortcutAction | undefined => {
    const origin = event.composedPath()[0] as { tagName?: string; getAttribute?(name: string): string | null } | undefined;
    const tag = origin?.tagName?.toUpperCase();
    // Keys typed into a field are the visitor's text; Space/Enter on a button press that button.
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') return undefined;
    if (tag === 'BUTTON' && (event.key === ' ' || event.key === 'Enter')) return undefined;
    const action = shortcutFor(event);
    if (!action || (this.hooks.helpOpen() && action !== 'help' && action !== 'about' && action !== 'close')) return undefined;
    event.preventDefault();
    this.hooks.perform(action);
    if (origin?.getAttribute?.('role') === 'tab') this.hooks.refocusTab();
    return action;
  };
}
