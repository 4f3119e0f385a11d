import { describe, expect, it, vi } from 'vitest';
import { channelStats } from '../src/core/activation-maps';
import { DEFAULT_LIVE_SETTINGS, type LiveFrame, type LiveSettings } from '../src/core/live/settings';
import { type AppState, initialState, readableRate, toConvLensState } from '../src/ui/app-state';
import { FpsMeter } from '../src/ui/fps';
import { cropRectInBox, fitSize } from '../src/ui/geometry';
import { GOAL_CLASSES, JOB_KINDS, JOB_KIND_IDS, jobKind, jobStartable, jobStatusText } from '../src/ui/jobs/job-kinds';
import { DEFAULT_STRINGS } from '../src/ui/kiosk-config';
import { captionText, computingText, overlayMap, overlayStale, sweepProgress } from '../src/ui/live-status';
import { SHORTCUTS, jobOfAction } from '../src/ui/shortcuts';
import { FINE_OCCLUSION, FINE_SHAPLEY, IG_JOB_BUDGET_S, SHAPLEY_DEFAULTS, integratedGradientsJobSteps } from '../src/core/attribution/defaults';
import { Store } from '../src/ui/store';

/** A live frame as the worker sends it (only the fields these tests read are meaningful). */
function frame(over: Partial<LiveFrame> = {}): LiveFrame {
  return {
    top5: [{ index: 967, label: 'espresso', probability: 0.9 }],
    crop: { x: 0, y: 0, width: 224, height: 224 },
    target: { index: 967, label: 'espresso' },
    activations: undefined,
    heatmap: { width: 2, height: 2, data: new Float32Array([0, 0.5, 1, 0.25]) },
    occlusionProgress: undefined,
    features: undefined,
    stages: { preprocess: 1.234 },
    ...over,
  };
}

function shown(view: LiveSettings['view'], over: Partial<AppState> = {}): AppState {
  const settings = { ...DEFAULT_LIVE_SETTINGS, view };
  return { ...initialState(''), ready: true, frame: frame(), frameSettings: settings, settings, ...over };
}

describe('store', () => {
  it('tells listeners which keys changed, and nothing when no value changed', () => {
    const store = new Store({ a: 1, b: [1], c: 'x' });
    const seen: string[][] = [];
    const stop = store.subscribe((_, changed) => seen.push([...changed].map(String)));
    store.set({ a: 2, c: 'x' });
    const same = store.state.b;
    store.set({ b: same });
    store.update((s) => ({ b: [...s.b, 2] }));
    stop();
    store.set({ a: 3 });
    expect(seen).toEqual([['a'], ['b']]);
    expect(store.state).toEqual({ a: 3, b: [1, 2], c: 'x' });
  });
});

describe('state() for operators and tests', () => {
  it('reads URL parameters and keeps every field', () => {
    const s = initialState('?model=lite&backend=cpu&view=saliency&lecture');
    expect(s).toMatchObject({ model: 'lite', forcedModel: 'lite', forcedBackend: 'cpu', lecture: true, kiosk: false });
    expect(initialState('?view=saliency')).toMatchObject({ model: 'standard', forcedModel: undefined, forcedBackend: undefined, choice: null });
    expect(s.settings.view).toBe('saliency');
    expect(initialState('?model=huge&backend=metal&view=nope')).toMatchObject({ model: 'standard', forcedModel: undefined, forcedBackend: undefined });
    const state = toConvLensState({ ...s, frame: frame(), fps: 12.345 }, false);
    expect(Object.keys(state).sort()).toEqual(
      ['backend', 'forward', 'model', 'choice', 'mode', 'fps', 'frames', 'lastFrameMs', 'occlusionProgress', 'top5', 'stages', 'error', 'source', 'job', 'recoveries', 'workerRestarts', 'workerMemory',
        'modelError', 'views', 'layer', 'channel', 'frozen', 'lecture', 'helpOpen', 'aboutOpen', 'updateReady', 'kiosk', 'teach'].sort(),
    );
    expect(state).toMatchObject({ mode: 'saliency', fps: 12.3, stages: { preprocess: 1.2 }, kiosk: null, teach: { classes: ['Class 1', 'Class 2'], counts: [0, 0], taught: false, bias: null }, modelError: null, forward: null, occlusionProgress: null });
    expect(s.wasm).toBe(true);
    // Teach mode is offered outside kiosks; a kiosk offers it only when its file says so (set at start: off).
    expect(toConvLensState(initialState('?kiosk'), false).teach).toBeNull();
    expect(initialState('?backend=cpu&wasm=0').wasm).toBe(false);
  });

  it('keeps two significant digits of slow frame rates instead of rounding them to 0', () => {
    expect(readableRate(0.0612)).toBe(0.061);
    expect(readableRate(0.45)).toBe(0.45);
    expect(readableRate(0)).toBe(0);
    expect(readableRate(2.349)).toBe(2.3);
  });
});

describe('frame rate', () => {
  it('counts the frames of the last 2 s, and the last two frames when slower than that', () => {
    const fps = new FpsMeter();
    let t = 0;
    for (let i = 0; i < 10; i++) fps.tick((t += 100));
    expect(fps.rate()).toBeCloseTo(10, 6);
    const slow = new FpsMeter();
    for (let i = 0; i < 4; i++) slow.tick(i * 16_700);
    expect(slow.rate()).toBeCloseTo(1000 / 16_700, 9);
    expect(readableRate(slow.rate())).toBe(0.06);
    expect(new FpsMeter().tick(5)).toBe(0);
  });
});

describe('geometry', () => {
  it('places the model square of a contained picture, mirrored or not', () => {
    // 1280×720 picture in a 640×640 box: scale 0.5, 180 px bars above and below; the 720×720 centre square.
    const crop = { x: 280, y: 0, width: 720, height: 720 };
    expect(cropRectInBox({ width: 640, height: 640 }, { width: 1280, height: 720 }, crop)).toEqual({ left: 140, top: 140, width: 360, height: 360 });
    const offCentre = { x: 0, y: 0, width: 720, height: 720 };
    expect(cropRectInBox({ width: 640, height: 640 }, { width: 1280, height: 720 }, offCentre, true)).toEqual({ left: 280, top: 140, width: 360, height: 360 });
    expect(fitSize({ width: 500, height: 300 }, { width: 400, height: 400 })).toEqual({ width: 300, height: 300 });
  });
});

describe('what the stage says', () => {
  it('names the saliency method of the map on screen in the caption', () => {
    const s = shown('saliency');
    expect(captionText(s)).toBe('Bright pixels are those whose change would most change the score of “espresso” (gradient saliency).');
    const guided = { ...s, settings: { ...s.settings, saliency: 'guided' as const }, frameSettings: { ...s.settings, saliency: 'guided' as const } };
    expect(captionText(guided)).toContain('(guided backprop)');
    expect(captionText({ ...s, frame: undefined })).toContain('“the top class”');
    expect(captionText({ ...s, settings: { ...s.settings, view: 'activations', layer: 'conv_pw_5_relu' } })).toContain('layer conv_pw_5_relu');
  });

  it('marks the overlay stale after a switch of view, class, method, layer or picture, until a matching frame', () => {
    const s = shown('saliency');
    expect(overlayStale(s)).toBe(false);
    expect(computingText(s)).toBeUndefined();
    const gradcam = { ...s, settings: { ...s.settings, view: 'gradcam' as const } };
    expect(overlayStale(gradcam)).toBe(true);
    expect(computingText(gradcam)).toBe('Computing Grad-CAM…');
    expect(overlayStale({ ...s, settings: { ...s.settings, target: 281 } })).toBe(true);
    expect(overlayStale({ ...s, settings: { ...s.settings, saliency: 'smoothgrad' } })).toBe(true);
    expect(overlayStale({ ...s, settings: { ...s.settings, layer: 'conv_pw_9_relu' } })).toBe(false); // the layer is the grid's, not saliency's
    const grid = shown('activations');
    expect(overlayStale({ ...grid, settings: { ...grid.settings, layer: 'conv_pw_9_relu' } })).toBe(true);
    expect(overlayStale({ ...s, sourceGeneration: 3, frameGeneration: 2 })).toBe(true);
    expect(computingText({ ...s, frame: undefined, frameSettings: undefined })).toBe('Computing…');
    expect(computingText({ ...gradcam, ready: false })).toBeUndefined(); // loading has its own indication
  });

  it('shows the occlusion sweep while it runs, and the enlarged channel over the picture', () => {
    const occ = shown('occlusion', { frame: frame({ occlusionProgress: 0.33 }) });
    expect(sweepProgress(occ)).toBe(0.33);
    expect(sweepProgress({ ...occ, frame: frame({ occlusionProgress: 1 }) })).toBeUndefined();
    expect(sweepProgress({ ...occ, settings: { ...occ.settings, view: 'gradcam' } })).toBeUndefined();
    // 2×2 activations with 3 channels (HWC): channel 1 is 1, 4, 7, 10, scaled by its maximum 10.
    const data = new Float32Array(12).map((_, i) => i);
    const activations = { layer: 'l', shape: [2, 2, 3] as [number, number, number], data, channels: channelStats(data, [2, 2, 3]) };
    const grid = shown('activations', { frame: frame({ activations }) });
    expect(overlayMap(grid)).toBeUndefined();
    expect([...overlayMap({ ...grid, channel: 1 })!.data].map((v) => Math.round(v * 100) / 100)).toEqual([0.1, 0.4, 0.7, 1]);
    expect(overlayMap({ ...grid, channel: 3 })).toBeUndefined();
    expect(overlayMap(shown('filters'))).toBeUndefined();
    const gradcam = shown('gradcam');
    expect(overlayMap(gradcam)).toBe(gradcam.frame!.heatmap);
  });
});

describe('the IG job sized from the measured gradient time', () => {
  it('takes the largest refinement stage (32, 96, 288, 864) whose gradients fit the budget', () => {
    expect(IG_JOB_BUDGET_S).toBe(45);
    expect(integratedGradientsJobSteps(undefined)).toBe(32);
    expect(integratedGradientsJobSteps(Number.NaN)).toBe(32);
    expect(integratedGradientsJobSteps(2000)).toBe(32);
    // 96 × g ≤ 45 s  ⇔  g ≤ 468.75 ms;  288 × g ≤ 45 s  ⇔  g ≤ 156.25 ms;  864 × g ≤ 45 s  ⇔  g ≤ 52.08 ms.
    expect(integratedGradientsJobSteps(468.75)).toBe(96);
    expect(integratedGradientsJobSteps(469)).toBe(32);
    expect(integratedGradientsJobSteps(156.25)).toBe(288);
    expect(integratedGradientsJobSteps(157)).toBe(96);
    expect(integratedGradientsJobSteps(52)).toBe(864);
    expect(integratedGradientsJobSteps(1)).toBe(864); // never beyond the method's own cap
  });
});

describe('job registry', () => {
  const bitmap = { width: 224, height: 224, close: vi.fn() } as unknown as ImageBitmap;

  it('builds every mode’s job from the app state, and names it in plain words', () => {
    const s = shown('saliency', { goal: GOAL_CLASSES[1]!, preset: 'yosinski', snapshots: 2 });
    const specs = Object.fromEntries(JOB_KIND_IDS.map((id) => [id, jobKind(id).spec(s, JOB_KINDS[id].needsFrame ? bitmap : undefined)]));
    // Settings come from the core's declarations at the chosen detail: by default sized for under a minute …
    expect(specs['shapley']).toEqual({ kind: 'explain', method: 'shapley', classIndex: 967, image: bitmap, options: { ...SHAPLEY_DEFAULTS, permutations: 4 } });
    expect(specs['occlusion']).toMatchObject({ options: { patch: 48, stride: 28 } });
    expect(specs['ig']).toEqual({ kind: 'explain', method: 'integrated-gradients', classIndex: 967, image: bitmap, options: { maxSteps: 32 } });
    expect(specs['visualise']).toEqual({ kind: 'class-visualisation', classIndex: 281, preset: 'yosinski', steps: 40 });
    expect(specs['uap']).toEqual({ kind: 'uap', steps: 10 }); // the shipped precomputed one where there is one
    expect(specs['segment']).toEqual({ kind: 'segment', image: bitmap, classIndex: 967 });
    // … and with "more detail" the fine presets (the method's own defaults for IG: adaptive up to 864 steps).
    const detailed = { ...s, detail: 'detail' as const };
    expect(jobKind('shapley').spec(detailed, bitmap)).toEqual({ kind: 'explain', method: 'shapley', classIndex: 967, image: bitmap, options: FINE_SHAPLEY });
    expect(FINE_SHAPLEY).toMatchObject({ grid: 6, permutations: 12, batchSize: 16 });
    expect(jobKind('occlusion').spec(detailed, bitmap)).toMatchObject({ options: FINE_OCCLUSION });
    expect(jobKind('ig').spec(detailed, bitmap)).toEqual({ kind: 'explain', method: 'integrated-gradients', classIndex: 967, image: bitmap });
    // The IG job's default cap follows the gradient frame the worker measured for the backend and model in use.
    const measured = (gradientMs: number, model: AppState['model'] = s.model): AppState => ({
      ...s,
      model,
      choice: { backend: 'webgpu', model: s.model, how: 'measured', deviceKey: 'k', adapters: [], timings: [{ backend: 'webgpu', model: s.model, forwardMs: 5, gradientMs, setupMs: 900 }], budget: { budgetMs: 500, smoothSamples: 4, occlusionBatch: 8 }, reason: '', note: '' },
    });
    expect(jobKind('ig').spec(measured(30), bitmap)).toMatchObject({ options: { maxSteps: 864 } }); // a GPU: 864 × 30 ms = 26 s
    expect(jobKind('ig').spec(measured(150), bitmap)).toMatchObject({ options: { maxSteps: 288 } }); // 43 s
    expect(jobKind('ig').spec(measured(1000), bitmap)).toMatchObject({ options: { maxSteps: 32 } }); // this machine
    expect(jobKind('ig').spec(measured(30, s.model === 'lite' ? 'standard' : 'lite'), bitmap)).toMatchObject({ options: { maxSteps: 32 } }); // not measured for this model
    expect(jobKind('visualise').spec(detailed, undefined)).toMatchObject({ steps: 200 });
    // Class visualisation: as many Lucid steps as fit ~45 s at the measured frame, 20…100.
    expect(jobKind('visualise').spec(measured(30), undefined)).toMatchObject({ steps: 100 }); // a GPU
    expect(jobKind('visualise').spec(measured(1000), undefined)).toMatchObject({ steps: 45 }); // a slow CPU
    expect(jobKind('uap').spec(detailed, undefined)).toEqual({ kind: 'uap', train: true, steps: 30 });
    expect(specs['fool']).toEqual({ kind: 'fool', image: bitmap, target: 281 });
    // The sanity check randomises the live map's method: 8 layers from the top by default, all with "more detail".
    expect(specs['sanity']).toEqual({ kind: 'sanity', image: bitmap, method: 'saliency', classIndex: 967, layers: 8 });
    expect(jobKind('sanity').spec(detailed, bitmap)).toEqual({ kind: 'sanity', image: bitmap, method: 'saliency', classIndex: 967 });
    expect(jobKind('sanity').available?.(s)).toBe(true);
    expect(jobKind('sanity').spec({ ...s, settings: { ...s.settings, saliency: 'smoothgrad' } }, bitmap)).toMatchObject({ method: 'smoothgrad', layers: 3 });
    expect(jobKind('sanity').available?.({ ...s, settings: { ...s.settings, view: 'occlusion' } })).toBe(false);
    expect(specs['snapshot']).toMatchObject({ kind: 'gallery-add', name: 'snapshot 3' });
    expect(specs['tsne']).toEqual({ kind: 'embed', method: 'tsne', seed: 1 });
    expect(specs['patches']).toBeUndefined(); // no channel chosen
    expect(jobKind('shapley').spec(s, undefined)).toBeUndefined(); // a frame mode without its frame
    expect(JOB_KINDS.fool.button(s)).toBe('Fool: make this frame a tabby cat');
    expect(JOB_KINDS.shapley.title(s)).toBe('Shapley values for “espresso”');
    for (const id of JOB_KIND_IDS) expect(jobOfAction(`job-${id}`)).toBe(id);
    expect(jobOfAction('job-cancel')).toBeUndefined();
    expect(SHORTCUTS.filter((k) => k.action.startsWith('job-')).length).toBe(JOB_KIND_IDS.length + 1);
  });

  it('starts only when the model is ready, the tools are on, no job runs and the mode can', () => {
    const s = shown('activations');
    expect(jobStartable('shapley', s)).toBe(true);
    expect(jobStartable('shapley', { ...s, ready: false })).toBe(false);
    expect(jobStartable('shapley', { ...s, tools: false })).toBe(false);
    expect(jobStartable('patches', s)).toBe(false);
    expect(jobStartable('patches', { ...s, channel: 4 })).toBe(true);
    expect(jobStartable('patches', { ...s, channel: 4, settings: { ...s.settings, view: 'saliency' } })).toBe(false);
    const running = { id: 1, kind: 'pca' as const, title: '', progress: 0.5, state: 'running' as const, startedAt: 0, mirrored: false };
    expect(jobStartable('shapley', { ...s, job: running })).toBe(false);
  });

  it('says what a job does and how it ended, not its internal name', () => {
    const job = { kind: 'tsne' as const, progress: 0.425, startedAt: 1000 };
    expect(jobStatusText({ ...job, state: 'running' })).toBe('Laying the gallery out by what the network sees (t-SNE)… 42 %');
    expect(jobStatusText({ ...job, state: 'done', endedAt: 13_600 })).toBe('t-SNE map: ready (took 13 s)');
    expect(jobStatusText({ ...job, state: 'done', endedAt: 3_345 })).toBe('t-SNE map: ready (took 2.3 s)');
    expect(jobStatusText({ ...job, state: 'cancelled' })).toBe('t-SNE map: cancelled');
    expect(jobStatusText({ ...job, state: 'error', error: 'the model is not loaded yet' })).toBe('t-SNE map did not work: the model is not loaded yet');
    for (const id of JOB_KIND_IDS) expect(jobStatusText({ kind: id, state: 'done', progress: 1, startedAt: 0 })).not.toMatch(/embed|gallery-add|top-patches|class-visualisation/);
    expect(DEFAULT_STRINGS.viewNames.gradcam).toBe('Grad-CAM');
  });
});
