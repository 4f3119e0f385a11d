import { type AttributionMethodName, INTEGRATED_GRADIENTS_JOB, type JobDetail, LIME_JOB, METHOD_INFO, type JobPresets, type MethodSettings, OCCLUSION_JOB, SHAPLEY_JOB, integratedGradientsJobSteps } from '../../core/attribution/defaults';
import { INVERT_JOB, NEURON_VIEWS_JOB, UAP_JOB, VISUALIZE_JOB, visualizeJobSteps } from '../../core/optimize/defaults';
import { FACETS_JOB } from '../../core/optimize/multifaceted-defaults';
import { elapsedText, timeLeftText } from '../../core/eta';
import { liveMethod } from '../../core/live/settings';
import { SEGMENT_DEFAULTS } from '../../core/segment-mask';
import type { RgbaImage } from '../../core/preprocess';
import { checkClassNames } from '../../core/teach-classes';
import type { ExplainJob, FrameImage, JobResult, JobSpec, TeachJobResult } from '../../../workers/protocol';
import { type AppState, withLabels } from '../app-state';

/**
 * The on-demand modes, one entry each: what people read (name, button, what it is doing), whether it needs the
 * current frame, how its job spec is built from the app's state, and which result view draws its result. The job
 * controller, the job buttons, the stage's job panel and the keyboard shortcuts all read this table, so a new mode
 * is a core function, its JobSpec/JobResult in workers/protocol.ts (run in workers/jobs.ts), one entry here and a
 * result view under src/ui/views/results/. DOM-free: unit-tested in Node.
 */
export interface JobKind {
  /**
   * Where its button sits: explain the frozen frame, make images by gradient steps, compare with the gallery, or
   * Teach mode's panel (offered where Teach mode is, even when the other tools are not).
   */
  group: 'explain' | 'generate' | 'gallery' | 'teach';
  /** What `window.convlens.state().job.kind` reports (the worker's name for it). */
  stateKind: string;
  /** Its name in plain words (headings, status). */
  name: string;
  /** The label of its button (may name the chosen class or channel). */
  button(state: Readonly<AppState>): string;
  /** What it is doing, in words, while it runs ("Sliding a grey patch over the frozen frame"). */
  doing: string;
  /** The heading over its result, fixed when it starts ("Shapley values for “espresso”"). */
  title(state: Readonly<AppState>): string;
  /** Works on the current frame (the model's 224×224 view of it): the frame is grabbed and kept with the job. */
  needsFrame: boolean;
  /** Can it start now (beyond the model being ready and no job running)? */
  available?(state: Readonly<AppState>): boolean;
  /** The worker's job; `image` is the frame when `needsFrame`. Undefined when it cannot be built now. */
  spec(state: Readonly<AppState>, image: FrameImage | undefined): JobSpec | undefined;
  /** State changes when it starts (e.g. counting snapshots). */
  started?(state: Readonly<AppState>): Partial<AppState>;
  /** State changes when it is done; `rememberSnapshot` keeps the job's frame as the thumbnail of a stored picture. */
  done?(result: JobResult, state: Readonly<AppState>, rememberSnapshot: (id: string) => void): Partial<AppState>;
  /** While its result is shown, the live frames also carry their feature vector (the moving dot on a map). */
  liveFeatures?: boolean;
  /** The custom element (src/ui/views/results/) that draws its result: properties `result` and `context`. */
  resultView: string;
  /** Its keyboard shortcut and the line in the `?` overlay. */
  shortcut: { key: string; description: string };
}

const label = (text: string): string => text.split(',')[0]!;

/**
 * Explaining the frozen frame for the class the live view explains (its top class or the chosen one), with the
 * method's job settings at the chosen level of detail, as declared in the core (src/core/attribution/defaults.ts).
 */
function explain<M extends AttributionMethodName>(method: M, presets: JobPresets<Partial<MethodSettings[M]>>) {
  return (state: Readonly<AppState>, image: FrameImage | undefined): JobSpec | undefined => {
    const target = state.frame?.target.index;
    const options = presets[state.detail];
    // One cast: TypeScript cannot narrow the per-method union from a generic M.
    return image && target !== undefined ? ({ kind: 'explain', method, classIndex: target, image, ...(Object.keys(options).length ? { options } : {}) } as ExplainJob) : undefined;
  };
}
/**
 * The IG job's presets on this device: the default's step cap sized from the gradient frame the worker measured
 * for the backend and model in use (integratedGradientsJobSteps; 32 steps when none was measured).
 */
function integratedGradientsPresets(state: Readonly<AppState>): JobPresets<Partial<MethodSettings['integrated-gradients']>> {
  const choice = state.choice;
  const timing = choice?.timings.find((t) => t.backend === choice.backend && t.model === state.model);
  return { ...INTEGRATED_GRADIENTS_JOB, default: { maxSteps: integratedGradientsJobSteps(timing?.gradientMs) } };
}

/** The worker's measured live gradient frame (ms) for the backend and model in use, if any. */
function gradientTiming(state: Readonly<AppState>): number | undefined {
  const choice = state.choice;
  return choice?.timings.find((t) => t.backend === choice.backend && t.model === state.model)?.gradientMs;
}

/** The live map's methods a sanity check is offered for (gradient methods: a few seconds per randomised layer). */
const SANITY_METHODS: readonly AttributionMethodName[] = ['saliency', 'guided', 'smoothgrad', 'gradcam'];
/**
 * Layers a sanity job randomises from the top: by default 8 (SmoothGrad, a few dozen gradients per map: 3), so it
 * stays near a minute; "more detail" goes down to the input (undefined: all).
 */
export function sanityJobLayers(method: AttributionMethodName, detail: JobDetail): number | undefined {
  if (detail === 'detail') return undefined;
  return method === 'smoothgrad' ? 3 : 8;
}

const explainTitle = (name: string) => (state: Readonly<AppState>): string => `${name} for “${label(state.frame?.target.label ?? 'the top class')}”`;

/** Every on-demand mode by id (the id is also its shortcut action, `job-<id>`). */
export const JOB_KINDS = {
  occlusion: {
    group: 'explain', stateKind: 'occlusion', name: 'Fine occlusion', button: () => 'Fine occlusion',
    doing: 'Sliding a grey patch over the frozen frame', title: explainTitle('Fine occlusion'), needsFrame: true,
    spec: explain('occlusion', OCCLUSION_JOB), resultView: 'explain-result',
    shortcut: { key: 'o', description: 'Fine occlusion of the frozen frame' },
  },
  shapley: {
    group: 'explain', stateKind: 'shapley', name: 'Shapley values', button: () => 'Shapley values',
    doing: 'Sharing the score out among the parts of the frozen frame', title: explainTitle('Shapley values'), needsFrame: true,
    spec: explain('shapley', SHAPLEY_JOB), resultView: 'explain-result',
    shortcut: { key: 'S', description: 'Shapley values of the frozen frame' },
  },
  ig: {
    group: 'explain', stateKind: 'integrated-gradients', name: 'Integrated gradients', button: () => 'Integrated gradients',
    doing: 'Fading the frozen frame in from black, step by step', title: explainTitle('Integrated gradients'), needsFrame: true,
    spec: (state, image) => explain('integrated-gradients', integratedGradientsPresets(state))(state, image), resultView: 'explain-result',
    shortcut: { key: 'i', description: 'Integrated gradients of the frozen frame' },
  },
  lime: {
    group: 'explain', stateKind: 'lime', name: 'LIME', button: () => 'LIME superpixels',
    doing: 'Greying out random superpixels of the frozen frame and fitting a linear model to the scores', title: explainTitle('LIME'), needsFrame: true,
    spec: explain('lime', LIME_JOB), resultView: 'lime-result',
    shortcut: { key: 'j', description: 'LIME superpixels of the frozen frame' },
  },
  lookAt: {
    group: 'explain', stateKind: 'lime', name: 'What does it really look at?', button: () => 'What does it really look at?',
    doing: 'Hiding random parts of the frozen frame to find the ones the network needs', needsFrame: true,
    title: (s) => `What does the network really look at for “${label(s.frame?.target.label ?? 'the top class')}”? (LIME)`,
    spec: explain('lime', LIME_JOB), resultView: 'lime-result',
    shortcut: { key: 'w', description: 'What does it really look at? (LIME: object or background)' },
  },
  sanity: {
    group: 'explain', stateKind: 'sanity', name: 'Sanity check', button: () => 'Sanity check: randomise the network',
    doing: 'Randomising the network layer by layer from the top and redrawing the map', needsFrame: true,
    title: (s) => {
      const method = liveMethod(s.settings);
      return `Is the map about the network? ${method ? METHOD_INFO[method].label : 'The map'} for “${label(s.frame?.target.label ?? 'the top class')}” as layers are randomised`;
    },
    available: (s) => SANITY_METHODS.includes(liveMethod(s.settings) ?? 'occlusion'),
    spec: (s, image) => {
      const method = liveMethod(s.settings);
      const target = s.frame?.target.index;
      if (!image || target === undefined || method === undefined || !SANITY_METHODS.includes(method)) return undefined;
      const layers = sanityJobLayers(method, s.detail);
      return { kind: 'sanity', image, method, classIndex: target, ...(layers !== undefined ? { layers } : {}) };
    },
    resultView: 'sanity-result',
    shortcut: { key: 'k', description: 'Sanity check of the live map (randomise the network)' },
  },
  segment: {
    group: 'explain', stateKind: 'segment', name: 'Cut-out', button: () => 'Cut out the object',
    doing: `Cutting the object out of the frozen frame: its ${METHOD_INFO[SEGMENT_DEFAULTS.method].label} map seeds GrabCut`, title: (s) => `“${label(s.frame?.target.label ?? 'the top class')}” cut out of the frame (${METHOD_INFO[SEGMENT_DEFAULTS.method].label} → GrabCut)`, needsFrame: true,
    spec: (s, image) => {
      const target = s.frame?.target.index;
      return image && target !== undefined ? { kind: 'segment', image, classIndex: target } : undefined;
    },
    resultView: 'segment-result',
    shortcut: { key: 'C', description: 'Cut the object out of the frozen frame (saliency → GrabCut)' },
  },
  visualise: {
    group: 'generate', stateKind: 'class-visualisation', name: 'Class visualisation', button: () => 'Visualise the class',
    doing: 'Painting an image the network takes for the class', title: (s) => `What the network takes for “${label(s.goal.label)}”`, needsFrame: false,
    spec: (s) => ({ kind: 'class-visualisation', classIndex: s.goal.index, preset: s.preset, steps: s.detail === 'default' ? visualizeJobSteps(gradientTiming(s)) : VISUALIZE_JOB.detail.steps }), resultView: 'visualisation-result',
    shortcut: { key: 'v', description: 'Visualise the chosen class' },
  },
  facets: {
    group: 'generate', stateKind: 'multifaceted', name: 'Facets of the class', button: () => 'Facets of the class',
    doing: 'Grouping the gallery pictures the class fits best, then painting one image per group', title: (s) => `The facets of “${label(s.goal.label)}”: one image per group of gallery pictures`, needsFrame: false,
    spec: (s) => ({ kind: 'multifaceted', classIndex: s.goal.index, facets: FACETS_JOB[s.detail].facets, steps: FACETS_JOB[s.detail].steps }), resultView: 'facets-result',
    shortcut: { key: 'F', description: 'Facets of the chosen class (multifaceted visualisation)' },
  },
  fool: {
    group: 'generate', stateKind: 'fool', name: 'Fooling the network', button: (s) => `Fool: make this frame a ${label(s.goal.label)}`,
    doing: 'Changing the frame by invisible amounts', title: (s) => `This frame, changed into a “${label(s.goal.label)}”`, needsFrame: true,
    spec: (s, image) => image && { kind: 'fool', image, target: s.goal.index }, resultView: 'fool-result',
    shortcut: { key: 'a', description: 'Fool the network (adversarial example)' },
  },
  uap: {
    group: 'generate', stateKind: 'uap', name: 'Universal perturbation', button: () => 'Universal perturbation',
    doing: 'Looking for one pattern that fools the network on most gallery pictures', title: () => 'One pattern that fools the network on many pictures', needsFrame: false,
    // Default: the shipped precomputed one (at once); more detail: made now on this gallery (minutes on a CPU).
    spec: (s) => (s.detail === 'detail' ? { kind: 'uap', train: true, steps: UAP_JOB.detail.steps } : { kind: 'uap', steps: UAP_JOB.default.steps }), resultView: 'uap-result', done: () => ({ uapReady: true }),
    shortcut: { key: 'u', description: 'Universal perturbation' },
  },
  invert: {
    group: 'generate', stateKind: 'invert-row', name: 'Feature inversion', button: () => 'What each depth keeps: invert the frame',
    doing: 'Rebuilding the frozen frame from its features at each depth', title: (s) => `What each depth keeps of this frame (your layer: ${s.settings.layer})`, needsFrame: true,
    spec: (s, image) => image && { kind: 'invert-row', image, chosen: s.settings.layer, steps: INVERT_JOB[s.detail].steps }, resultView: 'invert-row-result',
    shortcut: { key: 'I', description: 'Feature inversion of the frame at each depth' },
  },
  neuron: {
    group: 'generate', stateKind: 'neuron-views', name: 'Three views of a neuron', button: (s) => `Three views of channel ${s.channel}'s strongest neuron`,
    doing: 'Guided backprop, a generated image and gallery patches for the neuron', title: (s) => `Channel ${s.channel} of ${s.settings.layer}: its strongest neuron on this frame, three ways`, needsFrame: true,
    available: (s) => s.settings.view === 'activations' && s.channel >= 0,
    spec: (s, image) => (image && s.channel >= 0 ? { kind: 'neuron-views', image, layer: s.settings.layer, channel: s.channel, preset: s.preset, steps: NEURON_VIEWS_JOB[s.detail].steps, k: NEURON_VIEWS_JOB[s.detail].k } : undefined),
    resultView: 'neuron-views-result',
    shortcut: { key: 'N', description: 'Guided backprop, visualisation and top patches of the enlarged channel' },
  },
  neighbours: {
    group: 'gallery', stateKind: 'neighbours', name: 'Nearest neighbours', button: () => 'Nearest neighbours',
    doing: 'Comparing this frame with every gallery picture', title: () => 'The gallery pictures most like this frame', needsFrame: true,
    spec: (_, image) => image && { kind: 'neighbours', image, k: 4 }, resultView: 'neighbours-result',
    shortcut: { key: 'n', description: 'Nearest neighbours in the gallery' },
  },
  tsne: {
    group: 'gallery', stateKind: 'embed', name: 't-SNE map', button: () => 't-SNE map',
    doing: 'Laying the gallery out by what the network sees (t-SNE)', title: () => 'The gallery laid out by what the network sees (t-SNE); the red dot is the live frame', needsFrame: false,
    spec: () => ({ kind: 'embed', method: 'tsne', seed: 1 }), resultView: 'map-result', liveFeatures: true,
    shortcut: { key: 'm', description: 't-SNE map of the gallery' },
  },
  pca: {
    group: 'gallery', stateKind: 'embed', name: 'PCA map', button: () => 'PCA map',
    doing: 'Laying the gallery out by what the network sees (PCA)', title: () => 'The gallery laid out by what the network sees (PCA); the red dot is the live frame', needsFrame: false,
    spec: () => ({ kind: 'embed', method: 'pca' }), resultView: 'map-result', liveFeatures: true,
    shortcut: { key: 'M', description: 'PCA map of the gallery' },
  },
  snapshot: {
    group: 'gallery', stateKind: 'gallery-add', name: 'Snapshot', button: () => 'Add this frame to the gallery',
    doing: 'Adding this frame to the gallery', title: () => 'This frame, added to the gallery', needsFrame: true,
    spec: (s, image) => image && { kind: 'gallery-add', image, name: `snapshot ${s.snapshots + 1}` },
    started: (s) => ({ snapshots: s.snapshots + 1 }),
    done: (result, _, rememberSnapshot) => {
      if (result.kind === 'gallery-add') rememberSnapshot(result.id);
      return {};
    },
    resultView: 'snapshot-result',
    shortcut: { key: 'g', description: 'Add this frame to the gallery' },
  },
  patches: {
    group: 'gallery', stateKind: 'top-patches', name: 'Top patches', button: (s) => `Gallery patches that excite channel ${s.channel} most`,
    doing: 'Finding the gallery patches that excite the channel most', title: (s) => `Gallery patches that excite channel ${s.channel} of ${s.settings.layer} most`, needsFrame: false,
    available: (s) => s.settings.view === 'activations' && s.channel >= 0,
    spec: (s) => (s.channel >= 0 ? { kind: 'top-patches', layer: s.settings.layer, channel: s.channel, k: 9 } : undefined), resultView: 'patches-result',
    shortcut: { key: 'x', description: 'Gallery patches that excite the enlarged channel' },
  },
  teach: {
    group: 'teach', stateKind: 'teach', name: 'Teaching', button: (s) => (s.teach.taught ? 'Train again' : 'Train'),
    doing: 'Training your classifier on your examples', title: (s) => `Your classifier: ${s.teach.classes.map((c) => c.trim()).join(', ')}`, needsFrame: false,
    available: (s) => teachProblem(s) === undefined,
    spec: (s) => (teachProblem(s) === undefined ? { kind: 'teach', classes: s.teach.classes.map((c) => c.trim()) } : undefined),
    done: (result, state) => (result.kind === 'teach' ? taughtState(result, state) : {}),
    resultView: 'teach-result',
    shortcut: { key: 'T', description: 'Train your classes (Teach mode)' },
  },
} as const satisfies Record<string, JobKind>;

/**
 * Why Teach mode cannot train now, in one line (a class without a name or examples, two alike), or undefined when
 * it can.
 */
export function teachProblem(state: Readonly<AppState>): string | undefined {
  const t = state.teach;
  try {
    checkClassNames(t.classes);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  const empty = t.counts.findIndex((n) => n === 0);
  return empty >= 0 ? `capture examples of ${t.classes[empty]!.trim()} first (hold its button)` : undefined;
}

/** Share of its own examples a taught head must classify right for the app to call the classes learned. */
export const TEACH_WELL_LEARNED = 0.9;

/**
 * After training: the taught classes are the labels, the live view explains the top one of them, and the stage goes
 * back to the live view, which now predicts the visitor's classes.
 */
function taughtState(result: TeachJobResult, state: Readonly<AppState>): Partial<AppState> {
  const next = withLabels(state, result.classes);
  const examples = result.counts.reduce((a, b) => a + b, 0);
  const trained = `Trained on ${examples} examples in ${(result.ms / 1000).toFixed(1)} s, ${Math.round(result.trainAccuracy * 100)} % of them right.`;
  // Examples the head cannot tell apart (the same thing shown for two classes) are the visitor's to fix: say so.
  const learned = result.trainAccuracy >= TEACH_WELL_LEARNED;
  const text = learned
    ? `${trained} The network now predicts your classes, and every view explains your classifier.`
    : `${trained} Your classes' examples look alike to the network: show each class something different, then train again.`;
  return {
    ...next,
    settings: { ...next.settings, target: 'top', features: false },
    showJob: false,
    teach: { ...state.teach, taught: true, changed: false, bias: null, notice: { kind: learned ? 'ok' : 'error', text } },
  };
}

/** The id of an on-demand mode. */
export type JobKindId = keyof typeof JOB_KINDS;
/** The mode ids in the order their buttons and shortcuts are listed. */
export const JOB_KIND_IDS = Object.keys(JOB_KINDS) as JobKindId[];

/** The entry of `id`, typed as the general JobKind (optional hooks included). */
export function jobKind(id: JobKindId): JobKind {
  return JOB_KINDS[id];
}

/** The job groups in the order the job buttons show them, with their headings. */
export const JOB_GROUPS: { group: JobKind['group']; heading: string }[] = [
  { group: 'explain', heading: 'Freeze the frame and explain it thoroughly' },
  { group: 'generate', heading: 'Make images by gradient steps' },
  { group: 'gallery', heading: 'Compare with the gallery' },
];

/** A job as the app keeps it: which mode, how far, how it ended, and what it needs to draw its result. */
export interface JobState {
  /** The worker's request id (the one to cancel). */
  id: number;
  kind: JobKindId;
  title: string;
  progress: number;
  state: 'running' | 'done' | 'cancelled' | 'error';
  startedAt: number;
  endedAt?: number;
  /** The worker's estimate of the seconds left (src/core/eta.ts), as of `estimatedAt`; absent until a unit is done. */
  etaSeconds?: number;
  /** When the estimate arrived (the clock of `startedAt`). */
  estimatedAt?: number;
  /** The frame the job worked on (224×224, the model's view), for results drawn over it. */
  frozen?: ImageBitmap;
  /** The live picture was shown mirrored when the job started: results of the frame are drawn mirrored too. */
  mirrored: boolean;
  result?: JobResult;
  /** The image so far, while a generating job runs. */
  preview?: RgbaImage;
  error?: string;
}

/** One line that says what the job is doing or how it ended, in plain words. */
export function jobStatusText(job: Pick<JobState, 'kind' | 'state' | 'progress' | 'startedAt' | 'endedAt' | 'error'>): string {
  const kind = jobKind(job.kind);
  switch (job.state) {
    case 'running':
      return `${kind.doing}… ${Math.floor(job.progress * 100)} %`;
    case 'done': {
      const seconds = job.endedAt !== undefined ? (job.endedAt - job.startedAt) / 1000 : undefined;
      return `${kind.name}: ready${seconds !== undefined ? ` (took ${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s)` : ''}`;
    }
    case 'cancelled':
      return `${kind.name}: cancelled`;
    case 'error':
      return `${kind.name} did not work${job.error ? `: ${job.error}` : ''}`;
  }
}

/**
 * How long a running job has taken and how long it has left, in words: "12 s so far · about 40 s left". The
 * estimate counts down from the worker's last report (`now` on the clock of `startedAt`, ms). Empty when not running.
 */
export function jobTimeText(job: Pick<JobState, 'state' | 'startedAt' | 'etaSeconds' | 'estimatedAt'>, now: number): string {
  if (job.state !== 'running') return '';
  const elapsed = `${elapsedText(Math.max(0, now - job.startedAt) / 1000)} so far`;
  if (job.etaSeconds === undefined) return `${elapsed} · estimating the time left…`;
  const left = Math.max(0, job.etaSeconds - Math.max(0, now - (job.estimatedAt ?? now)) / 1000);
  return `${elapsed} · ${timeLeftText(left)}`;
}

/** Can the mode start now: the model is ready, the tools are offered, no job runs, and the mode's own condition. */
export function jobStartable(id: JobKindId, state: Readonly<AppState>): boolean {
  const offered = jobKind(id).group === 'teach' ? state.teachOffered : state.tools;
  return state.ready && offered && state.job?.state !== 'running' && (jobKind(id).available?.(state) ?? true);
}

/** Classes offered by touch as the aim of class visualisation and fooling (ImageNet indices). */
export const GOAL_CLASSES: readonly { index: number; label: string }[] = [
  { index: 130, label: 'flamingo' },
  { index: 281, label: 'tabby cat' },
  { index: 207, label: 'golden retriever' },
  { index: 340, label: 'zebra' },
  { index: 1, label: 'goldfish' },
  { index: 96, label: 'toucan' },
  { index: 954, label: 'banana' },
  { index: 949, label: 'strawberry' },
  { index: 963, label: 'pizza' },
  { index: 850, label: 'teddy bear' },
  { index: 779, label: 'school bus' },
  { index: 812, label: 'space shuttle' },
];
