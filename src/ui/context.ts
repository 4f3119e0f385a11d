import { createContext } from '@lit/context';
import type { InputSpec } from '../core/graph';
import type { LiveView, SaliencyKind } from '../core/live/settings';
import type { ModelName } from '../core/models';
import type { PresetName } from '../core/optimize/presets';
import type { JobDetail } from '../core/attribution/defaults';
import type { RgbaImage } from '../core/preprocess';
import type { AppState } from './app-state';
import type { JobKindId } from './jobs/job-kinds';
import type { ShortcutAction } from './shortcuts';
import type { Store } from './store';

/** Everything a visitor (or a view on their behalf) can ask the app to do. Implemented by src/ui/actions.ts. */
export interface AppActions {
  /** A keyboard shortcut's action (buttons that have a shortcut call this too). */
  perform(action: ShortcutAction): void;
  setView(view: LiveView): void;
  setLayer(layer: string): void;
  /** Enlarges a channel of the activation grid over the picture (-1: none). */
  setChannel(channel: number): void;
  setSaliency(kind: SaliencyKind): void;
  /** The class saliency, Grad-CAM and occlusion explain: the top class of each frame, or a fixed one. */
  setTarget(target: 'top' | number): void;
  setGoal(goal: { index: number; label: string }): void;
  setPreset(preset: PresetName): void;
  /** "More detail" for the on-demand jobs (the lecturer's option), or the default sized for under a minute. */
  setDetail(detail: JobDetail): void;
  setPerturb(on: boolean): void;
  startJob(kind: JobKindId): void;
  cancelJob(): void;
  /** Shows the job's progress and result on the stage, or the live view again. */
  showJob(on: boolean): void;
  useCamera(): void;
  switchFacing(): void;
  pickCamera(deviceId: string): void;
  useSample(name: string): void;
  useFile(file: File): void;
  retryModel(): void;
  /** "Your own model": checks, compiles and stores model files (model.json, weights, metadata.json), then runs the model. */
  addOwnModel(files: readonly File[], input: InputSpec): Promise<void>;
  /** Runs a bundled model ('standard', 'lite'), a stored own model by name, or (undefined) the measured choice. */
  useModel(model: ModelName | undefined): Promise<void>;
  /** Removes a stored own model from this browser. */
  removeOwnModel(name: string): Promise<void>;
  /** Teach mode: captures the current frame as one example of class `classIndex`. */
  teachCapture(classIndex: number): Promise<void>;
  /** Teach mode: a class's button pressed (`on`, frames are captured as its examples until released) or released. */
  teachHold(classIndex: number, on: boolean): void;
  /** Teach mode: names a class. */
  teachRename(classIndex: number, name: string): void;
  /** Teach mode: adds a class (up to four). */
  teachAddClass(): void;
  /** Teach mode: removes a class and its examples (down to two). */
  teachRemoveClass(classIndex: number): Promise<void>;
  /** Teach mode: forgets every example and the taught classifier. */
  teachForget(): Promise<void>;
  /** A gallery picture's thumbnail URL: stored pictures by object URL, bundled ones by their file. */
  thumbnail(id: string, name: string): string;
  /** The first layer's filters as one picture (fetched from the worker once). */
  filters(): Promise<RgbaImage | undefined>;
}

/** What the shell provides to every view: the store to read and the actions to call. */
export interface AppContext {
  store: Store<AppState>;
  actions: AppActions;
}

/** The @lit/context key under which the shell provides { store, actions } to its views. */
export const appContext = createContext<AppContext>(Symbol('convlens-app'));
