/**
 * Keyboard shortcuts: one table that both the key handler and the `?` overlay read, so the overlay can never
 * list a key that does nothing. Presentation clickers send PageUp/PageDown, so those step through the views.
 */
import { JOB_KINDS, JOB_KIND_IDS, type JobKindId } from './jobs/job-kinds';

/** Actions of the app itself; each on-demand mode adds `job-<id>` from the job registry (src/ui/jobs/job-kinds.ts). */
export const APP_ACTIONS = [
  'view-1', 'view-2', 'view-3', 'view-4', 'view-5', 'next-view', 'previous-view',
  'freeze', 'export', 'help', 'about', 'close', 'hud',
  'next-layer', 'previous-layer', 'next-channel', 'previous-channel', 'saliency-method', 'top-class',
  'camera', 'next-picture', 'job-cancel',
] as const;
/** The action that starts an on-demand mode. */
export type JobAction = `job-${JobKindId}`;
/** Everything a key can do. */
export type ShortcutAction = (typeof APP_ACTIONS)[number] | JobAction;
/** Every action, each bound to exactly one entry of SHORTCUTS (tests/kiosk-lecture.test.ts checks it). */
export const SHORTCUT_ACTIONS: readonly ShortcutAction[] = [...APP_ACTIONS, ...JOB_KIND_IDS.map((id): JobAction => `job-${id}`)];

/** The job a `job-…` action starts (undefined for other actions, and for job-cancel). */
export function jobOfAction(action: ShortcutAction): JobKindId | undefined {
  const id = action.startsWith('job-') ? action.slice(4) : '';
  return (JOB_KIND_IDS as string[]).includes(id) ? (id as JobKindId) : undefined;
}

/** One line of the shortcut table. */
export interface Shortcut {
  /** KeyboardEvent.key values (case-sensitive: 'L' is shift+l). */
  keys: string[];
  action: ShortcutAction;
  description: string;
  group: 'Views' | 'Frame' | 'Network' | 'Explain and make images' | 'Picture';
}

/** The shortcut table: the key handler and the `?` overlay both read it. */
export const SHORTCUTS: Shortcut[] = [
  { keys: ['1'], action: 'view-1', description: 'First view', group: 'Views' },
  { keys: ['2'], action: 'view-2', description: 'Second view', group: 'Views' },
  { keys: ['3'], action: 'view-3', description: 'Third view', group: 'Views' },
  { keys: ['4'], action: 'view-4', description: 'Fourth view', group: 'Views' },
  { keys: ['5'], action: 'view-5', description: 'Fifth view', group: 'Views' },
  { keys: ['ArrowRight', 'PageDown'], action: 'next-view', description: 'Next view', group: 'Views' },
  { keys: ['ArrowLeft', 'PageUp'], action: 'previous-view', description: 'Previous view', group: 'Views' },
  { keys: [' ', 'f'], action: 'freeze', description: 'Freeze / unfreeze the frame', group: 'Frame' },
  { keys: ['e'], action: 'export', description: 'Export the current figure as PNG (with its caption)', group: 'Frame' },
  { keys: ['?'], action: 'help', description: 'Show / hide this list', group: 'Frame' },
  { keys: ['A'], action: 'about', description: 'About ConvLens and the picture credits', group: 'Frame' },
  { keys: ['Escape'], action: 'close', description: 'Close this list (or About)', group: 'Frame' },
  { keys: ['h'], action: 'hud', description: 'Performance display (HUD)', group: 'Frame' },
  { keys: ['l'], action: 'next-layer', description: 'Deeper layer (activations)', group: 'Network' },
  { keys: ['L'], action: 'previous-layer', description: 'Shallower layer (activations)', group: 'Network' },
  { keys: [']'], action: 'next-channel', description: 'Enlarge the next channel', group: 'Network' },
  { keys: ['['], action: 'previous-channel', description: 'Enlarge the previous channel', group: 'Network' },
  { keys: ['s'], action: 'saliency-method', description: 'Saliency method: gradient → guided → SmoothGrad', group: 'Network' },
  { keys: ['t'], action: 'top-class', description: 'Explain the top class again', group: 'Network' },
  ...JOB_KIND_IDS.map((id): Shortcut => ({ keys: [JOB_KINDS[id].shortcut.key], action: `job-${id}`, description: JOB_KINDS[id].shortcut.description, group: 'Explain and make images' })),
  { keys: ['Backspace'], action: 'job-cancel', description: 'Cancel the running job', group: 'Explain and make images' },
  { keys: ['c'], action: 'camera', description: 'Back to the camera', group: 'Picture' },
  { keys: ['p'], action: 'next-picture', description: 'Next sample picture', group: 'Picture' },
];

/** The action bound to a key press, if any (modifier chords belong to the browser and are left alone). */
export function shortcutFor(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>): ShortcutAction | undefined {
  if (event.ctrlKey || event.metaKey || event.altKey) return undefined;
  return SHORTCUTS.find((s) => s.keys.includes(event.key))?.action;
}

/** How a key is written in the overlay. */
export function keyLabel(key: string): string {
  const names: Record<string, string> = { ' ': 'Space', ArrowRight: '→', ArrowLeft: '←', PageDown: 'Page ↓', PageUp: 'Page ↑', Escape: 'Esc', Backspace: '⌫' };
  return names[key] ?? (key.length === 1 && key !== key.toLowerCase() ? `Shift+${key.toLowerCase()}` : key);
}
