import { IMAGENET_LABELS } from '../src/core/labels';
import { describe, expect, it, vi } from 'vitest';
import type { LiveFrame } from '../src/core/live/settings';
import type { ReplyTo, WorkerRequest, WorkerStatus } from '../workers/protocol';
import { type AppState, initialState, toConvLensState } from '../src/ui/app-state';
import { JobController } from '../src/ui/controllers/job-controller';
import { LiveFrames } from '../src/ui/controllers/live-frames';
import { OwnModels } from '../src/ui/controllers/own-models';
import { defaultLayer } from '../src/ui/controllers/worker-supervisor';
import { searchLabels } from '../src/core/labels';
import { ShortcutsController, type KeyEventLike } from '../src/ui/controllers/shortcuts-controller';
import { type SourceEnv, SourceController } from '../src/ui/controllers/source-controller';
import { type Clock, type SupervisorHooks, WorkerSupervisor, forwardLabel } from '../src/ui/controllers/worker-supervisor';
import { CameraReconnect } from '../src/ui/camera';
import { Store } from '../src/ui/store';
import { SHAPLEY_DEFAULTS } from '../src/core/attribution/defaults';
import { jobTimeText, teachProblem } from '../src/ui/jobs/job-kinds';
import { BIAS_MIN_FRAMES, TeachController } from '../src/ui/controllers/teach-controller';
import type { InferenceClient, Progress, RequestBody } from '../src/ui/worker-client';

/**
 * The app's controllers in Node, with a fake worker, fake camera and fake clock: the state machines the browser
 * tests can only reach slowly or by chance (crash loops, a frame of the previous source arriving late, a job's
 * progress, a camera unplugged and re-plugged).
 */

const host = { addController: () => undefined, removeController: () => undefined, requestUpdate: () => undefined, updateComplete: Promise.resolve(true) };

/** A worker whose replies the test gives by hand. */
class FakeClient implements InferenceClient {
  sent: { id: number; type: WorkerRequest['type']; body: unknown; transfer: Transferable[]; progress?: Progress; resolve: (r: unknown) => void }[] = [];
  restarts = 0;
  onCrash: (message: string) => void = () => undefined;
  onStatus: (status: WorkerStatus) => void = () => undefined;
  private nextId = 1;

  send<T extends WorkerRequest['type']>(type: T, body: RequestBody<T>, options: { transfer?: Transferable[]; progress?: Progress } = {}) {
    const id = this.nextId++;
    let resolve!: (r: unknown) => void;
    const reply = new Promise<ReplyTo<T>>((r) => (resolve = r as (r: unknown) => void));
    this.sent.push({ id, type, body, transfer: options.transfer ?? [], ...(options.progress ? { progress: options.progress } : {}), resolve });
    return { id, reply };
  }

  restart(): void {
    this.restarts++;
  }

  last(type: WorkerRequest['type']) {
    return this.sent.filter((r) => r.type === type).at(-1)!;
  }
}

const flush = () => new Promise((r) => setTimeout(r, 0));
const bitmap = () => ({ width: 224, height: 224, close: vi.fn() }) as unknown as ImageBitmap;

function liveFrame(label = 'espresso', index = 967): LiveFrame {
  return {
    top5: [{ index, label, probability: 0.9 }], crop: { x: 0, y: 0, width: 224, height: 224 }, target: { index, label },
    activations: undefined, heatmap: undefined, occlusionProgress: undefined, features: undefined, stages: {},
  };
}

const ready = {
  type: 'ready', id: 0, backend: 'cpu', model: 'lite', loadMs: 1234.5, warmupMs: 99.4, inputSize: 224, labels: IMAGENET_LABELS,
  layers: [{ name: 'conv_pw_3_relu', outputShape: [56, 56, 32] }, { name: 'conv_pw_5_relu', outputShape: [28, 28, 64] }],
};

function fakeClock(): Clock & { t: number; timers: { at: number; callback: () => void }[]; advance(ms: number): void } {
  const clock = {
    t: 0,
    timers: [] as { at: number; callback: () => void }[],
    now: () => clock.t,
    setTimeout: (callback: () => void, ms: number) => {
      const timer = { at: clock.t + ms, callback };
      clock.timers.push(timer);
      return timer;
    },
    clearTimeout: (handle: unknown) => void (clock.timers = clock.timers.filter((x) => x !== handle)),
    advance(ms: number) {
      clock.t += ms;
      const due = clock.timers.filter((x) => x.at <= clock.t);
      clock.timers = clock.timers.filter((x) => x.at > clock.t);
      for (const x of due) x.callback();
    },
  };
  return clock;
}

describe('WorkerSupervisor', () => {
  function setup(search = '?model=lite', extraHooks: Partial<SupervisorHooks> = {}) {
    const store = new Store<AppState>(initialState(search));
    const client = new FakeClient();
    const clock = fakeClock();
    const log = { info: vi.fn(), error: vi.fn() };
    const hooks = { configured: vi.fn(async () => undefined), ready: vi.fn(async () => undefined), stopFrames: vi.fn(), ...extraHooks };
    const supervisor = new WorkerSupervisor(host, store, client, hooks, 'http://127.0.0.1:4181/app/', clock, log);
    return { store, client, clock, log, hooks, supervisor };
  }

  it('loads the model, then starts the source and frames; operators see timings, visitors nothing', async () => {
    const { store, client, hooks, supervisor } = setup('?model=lite&backend=cpu');
    store.set({ wantedLayer: 'conv_pw_5_relu' });
    const started = supervisor.start();
    expect(store.state).toMatchObject({ status: 'Loading the model…', visitorStatus: 'Getting ready…', ready: false });
    await flush();
    expect(client.last('init').body).toEqual({ model: 'lite', backend: 'cpu', modelsUrl: 'http://127.0.0.1:4181/app/models/', galleryUrl: 'http://127.0.0.1:4181/app/gallery/' });
    client.last('init').resolve(ready);
    await started;
    expect(store.state).toMatchObject({ ready: true, backend: 'cpu', startLayer: 'conv_pw_5_relu', visitorStatus: '', modelError: null });
    expect(store.state.settings.layer).toBe('conv_pw_5_relu');
    expect(store.state.status).toBe('Model lite on cpu: loaded in 1235 ms, warmed up in 99 ms');
    expect(hooks.ready).toHaveBeenCalledTimes(1);
  });

  it('says where forward passes run (the WASM twin on CPU), and `?wasm=0` asks the worker for none', async () => {
    const { store, client, supervisor } = setup('?model=lite&backend=cpu');
    const started = supervisor.start();
    await flush();
    client.last('init').resolve({ ...ready, forward: { backend: 'wasm', simd: true, threads: 2, isolated: true } });
    await started;
    expect(store.state.status).toBe('Model lite on cpu, forward passes on WASM (SIMD, 2 threads): loaded in 1235 ms, warmed up in 99 ms');
    expect(toConvLensState(store.state, false).forward).toEqual({ backend: 'wasm', simd: true, threads: 2, isolated: true });
    expect(forwardLabel({ backend: 'wasm', simd: false, threads: 1, isolated: false })).toBe('WASM (no SIMD, 1 thread, not cross-origin isolated)');
    const off = setup('?model=lite&backend=cpu&wasm=0');
    void off.supervisor.start();
    await flush();
    expect(off.client.last('init').body).toMatchObject({ backend: 'cpu', wasm: false });
  });

  it('a kiosk file naming an unknown layer is reported and the default layer used', async () => {
    const { store, client, supervisor } = setup();
    store.set({ wantedLayer: 'conv_pw_99_relu' });
    const started = supervisor.start();
    await flush();
    client.last('init').resolve(ready);
    await started;
    expect(store.state.kioskProblems).toEqual(['unknown layer "conv_pw_99_relu"; the grid shows conv_pw_3_relu']);
    expect(store.state.settings.layer).toBe('conv_pw_3_relu');
  });

  it('restarts a crashed worker, and after more than three crashes within a minute shows the error screen', async () => {
    const { store, client, clock, hooks, log } = setup();
    for (let i = 1; i <= 3; i++) {
      clock.advance(10_000);
      client.onCrash('out of memory');
      expect(client.restarts).toBe(i);
      expect(store.state.error).toBe('The inference worker stopped (out of memory); restarting it.');
      expect(store.state.modelError).toBeNull();
    }
    expect(hooks.stopFrames).toHaveBeenCalledTimes(3);
    expect(client.sent.filter((r) => r.type === 'init')).toHaveLength(0); // each start waits for `configured`
    await flush();
    expect(client.sent.filter((r) => r.type === 'init')).toHaveLength(3);
    clock.advance(10_000);
    client.onCrash('out of memory');
    expect(store.state.modelError).toEqual({ heading: 'The analysis keeps stopping', message: 'The inference worker stopped 4 times within a minute (last: out of memory).' });
    expect(store.state.workerRestarts).toBe(4);
    expect(log.error).toHaveBeenLastCalledWith(expect.stringContaining('stopped 4 times within a minute'));
    expect(clock.timers).toHaveLength(0); // not a kiosk: nobody retries by itself
  });

  it('crashes spread over more than a minute never add up to the error screen', () => {
    const { store, client, clock } = setup();
    for (let i = 0; i < 6; i++) {
      clock.advance(25_000);
      client.onCrash('lost context');
    }
    expect(store.state.modelError).toBeNull();
    expect(store.state.workerRestarts).toBe(6);
  });

  it('a kiosk retries a failed load by itself every retrySeconds; "Try again" clears the screen at once', async () => {
    const { store, client, clock, supervisor } = setup('?kiosk');
    store.set({ kiosk: true, retrySeconds: 2 });
    const started = supervisor.start();
    await flush();
    client.last('init').resolve({ type: 'error', id: 1, message: 'Model file x is missing (HTTP 404).' });
    await started;
    expect(store.state.modelError).toEqual({ heading: 'The model could not be loaded', message: 'Model file x is missing (HTTP 404).' });
    expect(toConvLensState(store.state, false).modelError).toBe('Model file x is missing (HTTP 404).');
    expect(store.state.visitorStatus).toBe('');
    clock.advance(1999);
    expect(client.restarts).toBe(0);
    clock.advance(1);
    expect(client.restarts).toBe(1);
    expect(store.state.modelError).toBeNull();
    await flush();
    expect(client.sent.filter((r) => r.type === 'init')).toHaveLength(2);
  });

  it('without a forced backend or model the worker chooses; the choice is shown, remembered and sizes live work', async () => {
    const stored: Record<string, string> = { 'cpu=cpu': 'older' };
    const remembered: [string, string][] = [];
    const { store, client, supervisor } = setup('', { remembered: () => ({ ...stored }), remember: (k, t) => void remembered.push([k, t]) });
    const started = supervisor.start();
    await flush();
    expect(client.last('init').body).toMatchObject({ model: 'standard', auto: { model: true, remembered: { 'cpu=cpu': 'older' } } });
    expect(client.last('init').body).not.toHaveProperty('backend');
    const choice = {
      backend: 'webgl', model: 'lite', how: 'measured', deviceKey: 'cpu=cpu|webgl=SwiftShader', adapters: [], reason: 'Measured one warm lite gradient frame: webgl 210 ms, cpu 380 ms → webgl.',
      timings: [{ backend: 'webgl', model: 'lite', forwardMs: 70, gradientMs: 210, setupMs: 2000 }], budget: { budgetMs: 500, smoothSamples: 1, occlusionBatch: 4 },
      note: 'This computer has no fast graphics chip, so a smaller, faster network is used.',
    };
    client.last('init').resolve({ ...ready, backend: 'webgl', model: 'lite', choice });
    await started;
    expect(store.state).toMatchObject({ backend: 'webgl', model: 'lite', visitorStatus: choice.note });
    expect(store.state.status).toBe('Model lite on webgl (chosen by measurement): loaded in 1235 ms, warmed up in 99 ms');
    expect(store.state.settings.smoothSamples).toBe(1);
    expect(store.state.settings.occlusion.batchSize).toBe(4);
    // The why (renderers, timings) goes to the HUD's choice line, not the header.
    expect(toConvLensState(store.state, false).choice).toMatchObject({ how: 'measured', budget: choice.budget, reason: choice.reason });
    expect(remembered).toHaveLength(1);
    expect(remembered[0]![0]).toBe('cpu=cpu|webgl=SwiftShader');
    expect(JSON.parse(remembered[0]![1])).toMatchObject({ version: 2, backend: 'webgl', model: 'lite', budget: choice.budget });

    // A restarted worker gets the measured choice even where storage kept nothing.
    stored['cpu=cpu'] = 'older';
    client.onCrash('gone');
    await flush();
    expect((client.last('init').body as { auto: { remembered: Record<string, string> } }).auto.remembered['cpu=cpu|webgl=SwiftShader']).toBe(remembered[0]![1]);
  });

  it('a forced backend and model send no auto request; a forced model alone lets the worker choose the backend only', async () => {
    const a = setup('?model=lite&backend=webgl');
    void a.supervisor.start();
    await flush();
    expect(a.client.last('init').body).not.toHaveProperty('auto');
    const b = setup('?model=lite');
    void b.supervisor.start();
    await flush();
    expect(b.client.last('init').body).toMatchObject({ model: 'lite', auto: { model: false } });
  });

  it('follows the worker’s news about a lost GPU device or WebGL context', () => {
    const { store, client } = setup();
    client.onStatus({ type: 'status', id: 0, event: 'device-lost', backend: 'webgl', message: 'WebGL context lost', recoveries: 0 });
    expect(store.state).toMatchObject({ status: 'The graphics device was lost; recovering…', visitorStatus: 'One moment, please…' });
    client.onStatus({ type: 'status', id: 0, event: 'recovered', backend: 'webgl', message: 'The graphics device was lost (WebGL context lost); recreated the webgl backend in 2100 ms.', recoveries: 1 });
    expect(store.state).toMatchObject({ recoveries: 1, backend: 'webgl', visitorStatus: '' });
    client.onStatus({ type: 'status', id: 0, event: 'device-lost', backend: 'webgpu', message: 'destroyed', recoveries: 0 });
    expect(store.state).toMatchObject({ status: 'The graphics device was lost; recovering…', visitorStatus: 'One moment, please…' });
    client.onStatus({ type: 'status', id: 0, event: 'recovered', backend: 'webgpu', message: 'The graphics device was lost (destroyed); recreated the webgpu backend in 11000 ms.', recoveries: 1 });
    expect(store.state).toMatchObject({ recoveries: 1, backend: 'webgpu', visitorStatus: '' });
    expect(store.state.status).toContain('recreated the webgpu backend');
    client.onStatus({ type: 'status', id: 0, event: 'recovery-failed', backend: null, message: 'no adapter', recoveries: 1 });
    expect(store.state.modelError?.heading).toBe('The graphics device could not be recovered');
  });
});

describe('LiveFrames', () => {
  function setup() {
    const store = new Store<AppState>({ ...initialState(''), ready: true });
    const client = new FakeClient();
    let t = 0;
    const ticks: (() => void)[] = [];
    const grabbed = { bitmap: bitmap(), crop: { x: 280, y: 0, width: 720, height: 720 }, width: 1280, height: 720 };
    const grab = vi.fn(async () => ({ ...grabbed, bitmap: bitmap() }));
    const live = new LiveFrames(host, store, client, grab, (cb) => void ticks.push(cb), () => t);
    return { store, client, live, grab, ticks, setTime: (ms: number) => (t = ms) };
  }

  it('shows each reply with the settings it was computed with; a slow view reads 0.06 frames/s, not 0', async () => {
    const { store, client, live, setTime } = setup();
    for (let i = 0; i < 3; i++) {
      setTime(i * 16_700);
      const done = live.processFrame();
      await flush();
      const request = client.last('frame');
      expect(request.transfer).toHaveLength(1);
      setTime(i * 16_700 + 16_000);
      request.resolve({ type: 'frame', id: request.id, frame: liveFrame(), ms: 16_000, memory: { numTensors: 223, numBytes: 5 } });
      await done;
    }
    expect(store.state).toMatchObject({ frames: 3, lastFrameMs: 16_000, crop: { x: 280, y: 0, width: 720, height: 720 }, pictureSize: { width: 1280, height: 720 } });
    expect(store.state.frameSettings).toEqual(store.state.settings);
    expect(toConvLensState(store.state, false).fps).toBe(0.06);
    expect(toConvLensState(store.state, false).workerMemory).toEqual({ numTensors: 223, numBytes: 5 });
  });

  it('drops a frame grabbed before the source changed (the kiosk reset: a sample picture’s frame arriving after the camera is back)', async () => {
    const { store, client, live } = setup();
    const done = live.processFrame();
    await flush();
    store.update((s) => ({ sourceGeneration: s.sourceGeneration + 1 })); // camera back meanwhile
    client.last('frame').resolve({ type: 'frame', id: 1, frame: liveFrame('tabby, tabby cat', 281), ms: 1, memory: { numTensors: 1, numBytes: 1 } });
    await done;
    expect(store.state.frames).toBe(0);
    expect(store.state.frame).toBeUndefined();
  });

  it('reports worker errors, ignores dropped frames, and offers frames only while running', async () => {
    const { store, client, live, grab, ticks } = setup();
    const a = live.processFrame();
    await flush();
    client.last('frame').resolve({ type: 'dropped', id: 1 });
    await a;
    const b = live.processFrame();
    await flush();
    client.last('frame').resolve({ type: 'error', id: 2, message: 'the model is not loaded yet' });
    await b;
    expect(store.state).toMatchObject({ frames: 0, error: 'the model is not loaded yet' });
    grab.mockClear();
    live.start();
    expect(ticks).toHaveLength(1);
    live.stop();
    ticks.shift()!();
    expect(ticks).toHaveLength(0); // the loop ended
  });
});

describe('JobController', () => {
  function setup(over: Partial<AppState> = {}, now: () => number = () => 1000) {
    const store = new Store<AppState>({ ...initialState(''), ready: true, frame: liveFrame(), mirrored: true, ...over });
    const client = new FakeClient();
    const frames: ImageBitmap[] = [];
    const deps = {
      grab: vi.fn(async () => {
        const b = bitmap();
        frames.push(b);
        return { bitmap: b };
      }),
      copy: vi.fn(async () => bitmap()),
      rememberSnapshot: vi.fn(),
      now,
    };
    const jobs = new JobController(host, store, client, deps);
    return { store, client, deps, jobs, frames };
  }

  it('runs a frame mode: the frame transferred, progress, the result, mirrored like the live picture', async () => {
    const { store, client, jobs, frames } = setup();
    const run = jobs.start('shapley');
    await flush();
    const request = client.last('job');
    expect(request.body).toEqual({ job: { kind: 'explain', method: 'shapley', classIndex: 967, image: frames[0], options: { ...SHAPLEY_DEFAULTS, permutations: 4 } } });
    expect(request.transfer).toEqual([frames[0]]);
    expect(store.state).toMatchObject({ showJob: true, job: { kind: 'shapley', state: 'running', mirrored: true, title: 'Shapley values for “espresso”' } });
    expect(toConvLensState(store.state, false).job).toEqual({ kind: 'shapley', progress: 0, state: 'running' });
    await jobs.start('ig'); // one job at a time
    expect(client.sent.filter((r) => r.type === 'job')).toHaveLength(1);
    request.progress!(3, 10);
    expect(store.state.job?.progress).toBeCloseTo(0.3, 9);
    const result = { kind: 'explain', heatmap: { width: 1, height: 1, data: new Float32Array([1]) }, ms: 5 };
    request.resolve({ type: 'done', id: request.id, result });
    await run;
    expect(store.state.job).toMatchObject({ state: 'done', progress: 1, result });
    expect(store.state.settings.features).toBe(false);
  });

  it('cancel stops the running job; an error is reported in words', async () => {
    const { store, client, jobs } = setup();
    const run = jobs.start('pca');
    await flush();
    jobs.cancel();
    expect(client.last('cancel').body).toEqual({ job: client.last('job').id });
    client.last('job').resolve({ type: 'cancelled', id: client.last('job').id });
    await run;
    expect(store.state.job?.state).toBe('cancelled');
    const again = jobs.start('neighbours');
    await flush();
    client.last('job').resolve({ type: 'error', id: client.last('job').id, message: 'no gallery' });
    await again;
    expect(store.state).toMatchObject({ error: 'no gallery', job: { state: 'error', error: 'no gallery' } });
  });

  it('Cancel shows at once, before the worker stops; its late reports and result are dropped; progress carries the time left', async () => {
    let now = 1000;
    const { store, client, jobs } = setup({}, () => now);
    const run = jobs.start('shapley');
    await flush();
    const request = client.last('job');
    now = 3000;
    request.progress!(10, 40, undefined, { elapsedSeconds: 2, etaSeconds: 6 });
    expect(store.state.job).toMatchObject({ progress: 0.25, etaSeconds: 6, estimatedAt: 3000 });
    expect(jobTimeText(store.state.job!, 4000)).toBe('3 s so far · about 5 s left'); // 6 s as of 3000, 1 s later
    expect(toConvLensState(store.state, false).job).toEqual({ kind: 'shapley', progress: 0.25, state: 'running', etaSeconds: 6 });
    now = 3500;
    jobs.cancel();
    expect(client.last('cancel').body).toEqual({ job: request.id });
    expect(store.state.job).toMatchObject({ state: 'cancelled', endedAt: 3500 }); // no reply from the worker yet
    expect(toConvLensState(store.state, false).job).toEqual({ kind: 'shapley', progress: 0.25, state: 'cancelled', seconds: 2.5 });
    request.progress!(12, 40, undefined, { elapsedSeconds: 3, etaSeconds: 5 }); // the unit in flight ends
    request.resolve({ type: 'done', id: request.id, result: { kind: 'explain' } });
    await run;
    expect(store.state.job).toMatchObject({ state: 'cancelled', progress: 0.25 });
    expect(store.state.job?.result).toBeUndefined();
    expect(jobs.canStart('ig')).toBe(true); // another job may start at once
  });

  it('what results change: the map turns live features on, a perturbation can be applied, a snapshot keeps its frame', async () => {
    const { store, client, jobs, deps } = setup();
    for (const [kind, result] of [
      ['tsne', { kind: 'embed', method: 'tsne', points: [], vectors: [] }],
      ['uap', { kind: 'uap', foolingRate: 0.5, heldOutRate: 0.4, images: 128, heldOutImages: 62, steps: 40, views: 320, eps: 10, method: 'sgd', precomputed: true, ms: 5, picture: { width: 1, height: 1, data: new Uint8ClampedArray(4) } }],
      ['snapshot', { kind: 'gallery-add', id: 'abc', size: 8 }],
    ] as const) {
      const run = jobs.start(kind);
      await flush();
      client.last('job').resolve({ type: 'done', id: client.last('job').id, result });
      await run;
      if (kind === 'tsne') expect(store.state.settings.features).toBe(true);
    }
    expect(store.state.settings.features).toBe(false);
    expect(store.state.uapReady).toBe(true);
    expect((client.last('job').body as { job: { name: string } }).job.name).toBe('snapshot 1');
    expect(store.state.snapshots).toBe(1);
    expect(deps.rememberSnapshot).toHaveBeenCalledWith('abc', store.state.job!.frozen);
  });

  it('nothing starts while the model loads, without the tools, or when the mode cannot (top patches without a channel)', async () => {
    for (const over of [{ ready: false }, { tools: false }]) {
      const { client, jobs } = setup(over);
      await jobs.start('visualise');
      expect(client.sent).toHaveLength(0);
    }
    const { client, jobs, store } = setup();
    await jobs.start('patches');
    expect(client.sent).toHaveLength(0);
    store.set({ channel: 7 });
    void jobs.start('patches');
    await flush();
    expect(client.last('job').body).toEqual({ job: { kind: 'top-patches', layer: 'conv_pw_3_relu', channel: 7, k: 9 } });
    jobs.reset();
    expect(client.last('cancel').body).toEqual({ job: client.last('job').id });
    expect(store.state).toMatchObject({ job: null, showJob: false });
  });
});

describe('ShortcutsController', () => {
  const key = (k: string, tag = 'DIV', role: string | null = null, mods: Partial<KeyEventLike> = {}) => {
    const event = {
      key: k, ctrlKey: false, metaKey: false, altKey: false, preventDefault: vi.fn(),
      composedPath: () => [{ tagName: tag, getAttribute: (name: string) => (name === 'role' ? role : null) }] as unknown as EventTarget[],
      ...mods,
    };
    return event as KeyEventLike & { preventDefault: ReturnType<typeof vi.fn> };
  };

  it('passes bound keys on, leaves fields and button presses alone, and obeys the open overlay', () => {
    let helpOpen = false;
    const hooks = { helpOpen: () => helpOpen, perform: vi.fn(), refocusTab: vi.fn() };
    const target = new EventTarget();
    const shortcuts = new ShortcutsController(host, hooks, target);
    shortcuts.hostConnected();
    const s = key('S');
    expect(shortcuts.onKey(s)).toBe('job-shapley');
    expect(s.preventDefault).toHaveBeenCalled();
    expect(shortcuts.onKey(key('s', 'INPUT'))).toBeUndefined();
    expect(shortcuts.onKey(key('x', 'SELECT'))).toBeUndefined();
    expect(shortcuts.onKey(key('Enter', 'BUTTON'))).toBeUndefined();
    expect(shortcuts.onKey(key(' ', 'BUTTON'))).toBeUndefined();
    expect(shortcuts.onKey(key('f', 'BUTTON'))).toBe('freeze');
    expect(shortcuts.onKey(key('e', 'DIV', null, { ctrlKey: true }))).toBeUndefined();
    expect(shortcuts.onKey(key('ArrowRight', 'BUTTON', 'tab'))).toBe('next-view');
    expect(hooks.refocusTab).toHaveBeenCalledTimes(1);
    helpOpen = true;
    expect(shortcuts.onKey(key('3'))).toBeUndefined();
    expect(shortcuts.onKey(key('Escape'))).toBe('close');
    expect(hooks.perform.mock.calls.map((c) => c[0])).toEqual(['job-shapley', 'freeze', 'next-view', 'close']);
    // Registered on the target it was given.
    const event = Object.assign(new Event('keydown'), { key: 'h', ctrlKey: false, metaKey: false, altKey: false });
    target.dispatchEvent(event);
    expect(hooks.perform).not.toHaveBeenLastCalledWith('hud'); // the overlay is open
    helpOpen = false;
    target.dispatchEvent(Object.assign(new Event('keydown'), { key: 'h', ctrlKey: false, metaKey: false, altKey: false }));
    expect(hooks.perform).toHaveBeenLastCalledWith('hud');
    shortcuts.hostDisconnected();
  });
});

describe('SourceController', () => {
  /** A camera track that can be unplugged. */
  function fakeStream(facingMode = 'user') {
    const track = new EventTarget() as EventTarget & { stop: () => void; getSettings: () => MediaTrackSettings };
    track.stop = vi.fn();
    track.getSettings = () => ({ facingMode, deviceId: 'cam-1' });
    return { track, stream: { getVideoTracks: () => [track], getTracks: () => [track] } as unknown as MediaStream };
  }

  function setup() {
    const store = new Store<AppState>(initialState(''));
    let getUserMedia: () => Promise<MediaStream> = async () => fakeStream().stream;
    const video = { srcObject: null, src: '', loop: false, readyState: 4, play: vi.fn(async () => undefined), pause: vi.fn(), removeAttribute: vi.fn() };
    let decode: () => Promise<void> = async () => undefined;
    const image = { src: '', decode: () => decode() };
    let retry: (() => Promise<boolean>) | undefined;
    const env: SourceEnv = {
      mediaDevices: () => ({ getUserMedia: () => getUserMedia(), enumerateDevices: async () => [{ kind: 'videoinput', deviceId: 'cam-1' }, { kind: 'audioinput' }] as MediaDeviceInfo[] }),
      createVideo: () => video as unknown as HTMLVideoElement,
      createImage: () => image as unknown as HTMLImageElement,
      objectUrl: () => 'blob:x',
      grab: vi.fn(async () => ({ bitmap: bitmap(), crop: { x: 280, y: 0, width: 720, height: 720 }, width: 1280, height: 720 })),
      snapshot: vi.fn(async () => bitmap()),
      cut: vi.fn(async () => bitmap()),
      reconnect: (tryOpen) => {
        retry = tryOpen;
        return new CameraReconnect(tryOpen, [60_000]); // tried by hand below, not by the timer
      },
    };
    const source = new SourceController(host, store, env);
    return {
      store, source, env, video, image,
      setCamera: (f: () => Promise<MediaStream>) => (getUserMedia = f),
      setDecode: (f: () => Promise<void>) => (decode = f),
      retry: () => retry!(),
    };
  }

  it('starts the camera (mirrored selfie view); unplugged, a sample picture and a message; re-plugged, the camera again', async () => {
    const { store, source, video, image, retry } = setup();
    await source.startCamera();
    expect(store.state).toMatchObject({ source: 'camera', media: video, mirrored: true, cameraMessage: null, cameraId: 'cam-1', sourceGeneration: 1 });
    expect(store.state.cameras).toHaveLength(1);
    const track = (video.srcObject as unknown as MediaStream).getVideoTracks()[0]!;
    track.dispatchEvent(new Event('ended'));
    await flush();
    expect(store.state).toMatchObject({ source: 'image', media: image, mirrored: false, sourceGeneration: 2 });
    expect(image.src).toBe('gallery/coffee.png');
    expect(store.state.cameraMessage).toBe('The camera was disconnected. Showing a sample picture until it is plugged in again.');
    expect(source.watchingForCamera).toBe(true);
    expect(await retry()).toBe(true);
    expect(store.state).toMatchObject({ source: 'camera', cameraMessage: null, sourceGeneration: 3 });
    source.hostDisconnected();
  });

  it('no camera: says so, shows a sample picture, and looks for one only when it may come (not after a refusal)', async () => {
    const { store, source, setCamera } = setup();
    setCamera(() => Promise.reject(new DOMException('Requested device not found', 'NotFoundError')));
    await source.startCamera();
    expect(store.state).toMatchObject({ source: 'image', cameraMessage: 'No camera was found. You can still explore the sample pictures, or pick your own image or video.' });
    expect(source.watchingForCamera).toBe(true);
    await source.useImage('gallery/chelsea.png'); // the visitor picks a picture: stop looking
    expect(source.watchingForCamera).toBe(false);
    setCamera(() => Promise.reject(new DOMException('denied', 'NotAllowedError')));
    await source.startCamera();
    expect(store.state.cameraMessage).toMatch(/^Camera permission was denied\./);
    expect(source.watchingForCamera).toBe(false);
    source.hostDisconnected();
  });

  it('grabs nothing while a new picture is still loading (so no frame of the old one passes for it)', async () => {
    const { source, setDecode } = setup();
    await source.useImage('gallery/coffee.png');
    expect(await source.grab()).toBeDefined();
    let decoded!: () => void;
    setDecode(() => new Promise<void>((r) => (decoded = r)));
    const switching = source.useImage('gallery/chelsea.png');
    expect(await source.grab()).toBeUndefined();
    decoded();
    await switching;
    expect(await source.grab()).toBeDefined();
  });

  it('freezes the picture: frames are cut from the held copy, the video pauses; unfreeze plays it again', async () => {
    const { store, source, env, video } = setup();
    await source.startCamera();
    await source.freeze();
    expect(store.state.frozen).toBe(true);
    expect(video.pause).toHaveBeenCalled();
    await source.grab();
    expect(env.cut).toHaveBeenCalledWith(expect.anything(), { x: 280, y: 0, width: 720, height: 720 });
    source.unfreeze();
    expect(store.state.frozen).toBe(false);
    expect(video.play).toHaveBeenCalledTimes(2);
    source.hostDisconnected();
  });
});

describe('OwnModels and the model switch', () => {
  const text = (name: string, value: string) => ({ name, bytes: new TextEncoder().encode(value) });
  /** A model.json whose manifest names weights.bin with 2 float32 values (8 bytes). */
  const modelJson = text('model.json', JSON.stringify({ format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { layers: [] } }, weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'w', shape: [2], dtype: 'float32' }] }] }));
  const info = { name: 'fruit', numClasses: 3, inputSize: 32, bytes: 8, labels: ['apple', 'pear', 'plum'], input: { range: [-1, 1] as const, channels: 'rgb' as const }, added: 1 };
  function setup() {
    const store = new Store<AppState>({ ...initialState('?model=lite&backend=cpu'), ready: true });
    const client = new FakeClient();
    const hooks = { configured: vi.fn(async () => undefined), ready: vi.fn(async () => undefined), stopFrames: vi.fn() };
    const supervisor = new WorkerSupervisor(host, store, client, hooks, 'http://127.0.0.1:4181/app/', fakeClock(), { info: vi.fn(), error: vi.fn() });
    const stored: (typeof info)[] = [];
    const env = { list: vi.fn(async () => [...stored]), remove: vi.fn(async (name: string) => void stored.splice(stored.findIndex((m) => m.name === name), 1)), remember: vi.fn() };
    const own = new OwnModels(host, store, client, supervisor, env);
    return { store, client, hooks, env, own, stored };
  }

  it('a file that fails the checks is one line and nothing reaches the worker', async () => {
    const { store, client, own } = setup();
    expect(await own.add([modelJson, text('weights.bin', 'abc')])).toBeUndefined();
    expect(store.state.ownModelNotice).toEqual({ kind: 'error', text: 'weights.bin: 3 bytes, but model.json says 8 (a damaged or mismatched weight file)' });
    expect(client.sent).toHaveLength(0);
  });

  it('a refused model (the worker\'s one line) is shown; an accepted one is listed, remembered and run: labels, layer, goal, target follow it', async () => {
    const { store, client, hooks, env, own, stored } = setup();
    store.set({ settings: { ...store.state.settings, target: 400 }, goal: { index: 130, label: 'flamingo' } });
    const refused = own.add([modelJson, text('weights.bin', '12345678')]);
    await flush();
    expect(client.last('own-model').transfer).toHaveLength(1); // the weights travel, not copied
    client.last('own-model').resolve({ type: 'error', id: 1, message: "model.json: unsupported layer class 'UpSampling2D' (layer 'up')" });
    expect(await refused).toBeUndefined();
    expect(store.state.ownModelNotice?.kind).toBe('error');
    expect(client.restarts).toBe(0);

    const added = own.add([modelJson, text('weights.bin', '12345678'), text('metadata.json', '{"labels": ["apple", "pear", "plum"], "modelName": "Fruit"}')]);
    await flush();
    expect((client.last('own-model').body as { upload: { name: string; labels: string[] } }).upload).toMatchObject({ name: 'fruit', labels: ['apple', 'pear', 'plum'] });
    stored.push(info);
    client.last('own-model').resolve({ type: 'own-model-stored', id: 2, info });
    await flush();
    // The worker is replaced and asked for the stored model by name.
    expect(client.restarts).toBe(1);
    expect(hooks.stopFrames).toHaveBeenCalled();
    expect(env.remember).toHaveBeenCalledWith('fruit');
    expect((client.last('init').body as { model: string }).model).toBe('fruit');
    client.last('init').resolve({ ...ready, model: 'fruit', inputSize: 32, labels: info.labels, layers: [{ name: 'conv1', outputShape: [16, 16, 8] }, { name: 'conv1_relu', outputShape: [16, 16, 8] }, { name: 'conv_dw_1_relu', outputShape: [16, 16, 8] }] });
    await added;
    expect(store.state).toMatchObject({ model: 'fruit', forcedModel: 'fruit', labels: ['apple', 'pear', 'plum'], ownModels: [info], goal: { index: 0, label: 'apple' } });
    expect(store.state.ownModelNotice).toEqual({ kind: 'ok', text: 'Stored fruit: 3 classes (apple, pear, plum), 32×32 input, 8 bytes.' });
    expect(store.state.settings).toMatchObject({ layer: 'conv1_relu', target: 'top' });
    expect(store.state.status).toMatch(/^Model fruit on cpu/);

    // Removing the model in use: the measured choice takes over (no ?model=).
    const removed = own.remove('fruit');
    await flush();
    expect(env.remember).toHaveBeenLastCalledWith(undefined);
    expect(client.last('init').body).toMatchObject({ model: 'standard', auto: { model: true } });
    client.last('init').resolve(ready);
    await removed;
    expect(store.state).toMatchObject({ ownModels: [], model: 'lite', labels: IMAGENET_LABELS, ownModelNotice: { kind: 'ok', text: 'Removed fruit from this browser.' } });
  });

  it('?model=NAME runs a stored model; a name not stored is one line, forgotten, and the bundled model runs', async () => {
    const { store, env, own, stored } = setup();
    stored.push(info);
    store.set({ ...initialState('?model=fruit'), ready: false });
    expect(store.state).toMatchObject({ model: 'standard', forcedModel: undefined, askedModel: 'fruit' });
    await own.resolveAsked();
    expect(store.state).toMatchObject({ model: 'fruit', forcedModel: 'fruit', askedModel: undefined });
    store.set({ ...initialState('?model=gone&kiosk'), ready: false });
    await own.resolveAsked();
    expect(store.state).toMatchObject({ model: 'standard', forcedModel: undefined, askedModel: undefined, ownModelNotice: { kind: 'error', text: 'no model named "gone" is stored in this browser; the bundled model runs instead' } });
    expect(store.state.kioskProblems).toEqual(['no model named "gone" is stored in this browser; the bundled model runs instead']);
    expect(env.remember).not.toHaveBeenCalled(); // a kiosk's address is the operator's
    store.set({ ...initialState('?model=gone'), ready: false });
    await own.resolveAsked();
    expect(env.remember).toHaveBeenCalledWith(undefined);
  });

  it('the grid starts on MobileNet\'s layer where there is one, else a third of the way through the rectifiers; labels are searched', () => {
    const l = (name: string) => ({ name, className: 'X', outputShape: [4, 4, 2] });
    expect(defaultLayer([l('conv1'), l('conv_pw_3_relu'), l('x_relu')])).toBe('conv_pw_3_relu');
    expect(defaultLayer([l('a'), l('a_relu'), l('b'), l('b_relu'), l('c_relu')])).toBe('b_relu');
    expect(defaultLayer([l('a'), l('b'), l('c'), l('d')])).toBe('b');
    expect(searchLabels(['apple', 'pear', 'Pineapple'], 'APP')).toEqual([{ index: 0, label: 'apple' }, { index: 2, label: 'Pineapple' }]);
  });
});

describe('TeachController (Teach mode, the page side)', () => {
  function setup(over: Partial<AppState> = {}) {
    const store = new Store<AppState>({ ...initialState(''), ready: true, frame: liveFrame(), ...over });
    const client = new FakeClient();
    const frames: ImageBitmap[] = [];
    const released: string[] = [];
    let thumbs = 0;
    const jobs = new JobController(host, store, client, { grab: async () => ({ bitmap: bitmap() }), copy: async () => bitmap(), rememberSnapshot: vi.fn(), now: () => 1000 });
    const deps = {
      grab: vi.fn(async () => {
        const b = bitmap();
        frames.push(b);
        return { bitmap: b };
      }),
      thumbnail: vi.fn(async () => `blob:thumb-${++thumbs}`),
      release: vi.fn((url: string) => void released.push(url)),
      train: () => void jobs.start('teach'),
      cancelTraining: vi.fn(),
      sleep: vi.fn(async (_ms: number): Promise<void> => undefined),
    };
    const teach = new TeachController(host, store, client, deps);
    teach.hostConnected();
    /** Answers the latest teach request with the worker's counts. */
    const answer = async (counts: number[], taught = false, labels: readonly string[] = IMAGENET_LABELS) => {
      await flush();
      const r = client.sent.filter((x) => x.type === 'teach-example' || x.type === 'teach-forget').at(-1)!;
      r.resolve({ type: 'teach-state', id: r.id, counts, taught, labels });
      await flush();
    };
    return { store, client, deps, teach, jobs, frames, released, answer };
  }

  /** A 10×10 map whose mass lies all inside the centred half (centre: x, y 2..8, 49 cells) or all outside it. */
  const map = (where: 'centre' | 'corners') => {
    const data = new Float32Array(100);
    for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) {
      const inside = x >= 2 && x < 9 && y >= 2 && y < 9;
      data[y * 10 + x] = (where === 'centre') === inside ? 1 : 0;
    }
    return { width: 10, height: 10, data };
  };

  it('captures the frame as an example (transferred), keeps the latest thumbnail per class, and shows a refusal in one line', async () => {
    const { store, client, deps, teach, frames, released, answer } = setup();
    const first = teach.capture(1);
    await answer([0, 1, 0, 0]);
    expect(await first).toBe(true);
    const request = client.last('teach-example');
    expect(request.body).toEqual({ classIndex: 1, image: frames[0] });
    expect(request.transfer).toEqual([frames[0]]);
    expect(store.state.teach).toMatchObject({ counts: [0, 1], thumbnails: [undefined, 'blob:thumb-1'], changed: true });
    const second = teach.capture(1);
    await answer([0, 2, 0, 0]);
    await second;
    expect(store.state.teach.thumbnails).toEqual([undefined, 'blob:thumb-2']);
    expect(released).toEqual(['blob:thumb-1']);
    const refused = teach.capture(0);
    await flush();
    client.last('teach-example').resolve({ type: 'error', id: client.last('teach-example').id, message: 'class 1 has 300 examples already, the most it keeps' });
    expect(await refused).toBe(false);
    expect(store.state.teach.notice).toEqual({ kind: 'error', text: 'class 1 has 300 examples already, the most it keeps' });
    expect(released).toEqual(['blob:thumb-1', 'blob:thumb-3']);
    // No class 3 yet, or the model still loading: nothing is grabbed.
    expect(await teach.capture(2)).toBe(false);
    store.set({ ready: false });
    expect(await teach.capture(0)).toBe(false);
    expect(deps.grab).toHaveBeenCalledTimes(3);
  });

  it('holding a button captures until it is released', async () => {
    const { store, client, deps, teach } = setup();
    let captures = 0;
    deps.sleep.mockImplementation(async () => {
      if (++captures === 3) void teach.hold(0, false);
    });
    const held = teach.hold(0, true);
    for (let i = 1; i <= 3; i++) {
      await flush();
      await flush();
      const r = client.last('teach-example');
      r.resolve({ type: 'teach-state', id: r.id, counts: [i, 0, 0, 0], taught: false, labels: IMAGENET_LABELS });
    }
    await held;
    expect(client.sent.filter((r) => r.type === 'teach-example')).toHaveLength(3);
    expect(store.state.teach).toMatchObject({ counts: [3, 0], capturing: -1 });
  });

  it('a quick release and press runs one capture loop, not two; a capture answered after Forget is not shown', async () => {
    const { store, client, deps, teach, released } = setup();
    let wake!: () => void;
    deps.sleep.mockImplementation(() => new Promise<void>((r) => (wake = r)));
    const first = teach.hold(0, true);
    await flush();
    await flush();
    client.last('teach-example').resolve({ type: 'teach-state', id: client.last('teach-example').id, counts: [1, 0, 0, 0], taught: false, labels: IMAGENET_LABELS });
    await flush();
    // Released and pressed again while the first loop sleeps: the first loop ends when it wakes.
    void teach.hold(0, false);
    void teach.hold(0, true);
    const firstWake = wake;
    await flush();
    await flush();
    firstWake();
    await first;
    expect(client.sent.filter((r) => r.type === 'teach-example')).toHaveLength(2);
    expect(store.state.teach.capturing).toBe(0);
    // Forget while that capture is in flight: its late answer does not bring a thumbnail back.
    const forgetting = teach.forget();
    await flush();
    client.last('teach-forget').resolve({ type: 'teach-state', id: client.last('teach-forget').id, counts: [0, 0, 0, 0], taught: false, labels: IMAGENET_LABELS });
    await forgetting;
    client.last('teach-example').resolve({ type: 'teach-state', id: client.last('teach-example').id, counts: [0, 0, 0, 0], taught: false, labels: IMAGENET_LABELS });
    await flush();
    expect(store.state.teach).toMatchObject({ counts: [0, 0], thumbnails: [undefined, undefined], capturing: -1 });
    expect(released).toContain('blob:thumb-2');
  });

  it('trains only with named, distinct classes that all have examples; the taught classes become the labels', async () => {
    const { store, client, teach, answer } = setup({ goal: { index: 130, label: 'flamingo' }, settings: { ...initialState('').settings, target: 281 } });
    expect(teachProblem(store.state)).toBe('capture examples of Class 1 first (hold its button)');
    teach.rename(0, ' ');
    expect(teachProblem(store.state)).toBe('class 1 has no name');
    teach.rename(0, 'Mug');
    teach.rename(1, 'mug');
    expect(teachProblem(store.state)).toBe("classes 1 and 2 are both called 'mug': give each its own name");
    teach.rename(1, 'Cat');
    void teach.capture(0);
    await answer([1, 0, 0, 0]);
    void teach.capture(1);
    await answer([1, 1, 0, 0]);
    expect(teachProblem(store.state)).toBeUndefined();
    teach.train();
    await flush();
    const job = client.last('job');
    expect(job.body).toEqual({ job: { kind: 'teach', classes: ['Mug', 'Cat'] } });
    job.resolve({ type: 'done', id: job.id, result: { kind: 'teach', classes: ['Mug', 'Cat'], counts: [1, 1], loss: 0.01, trainAccuracy: 1, epochs: 40, ms: 800 } });
    await flush();
    expect(store.state).toMatchObject({ labels: ['Mug', 'Cat'], goal: { index: 0, label: 'Mug' }, showJob: false, teach: { taught: true, changed: false } });
    expect(store.state.settings.target).toBe('top');
    expect(store.state.teach.notice?.text).toMatch(/^Trained on 2 examples in 0.8 s, 100 % of them right/);
    // Examples the head could not tell apart: the visitor is told what to change.
    teach.train();
    await flush();
    const again = client.last('job');
    again.resolve({ type: 'done', id: again.id, result: { kind: 'teach', classes: ['Mug', 'Cat'], counts: [2, 2], loss: 0.69, trainAccuracy: 0.5, epochs: 40, ms: 800 } });
    await flush();
    expect(store.state.teach.notice).toEqual({ kind: 'error', text: "Trained on 4 examples in 0.8 s, 50 % of them right. Your classes' examples look alike to the network: show each class something different, then train again." });
        // A new class (up to four) means training again.
    teach.addClass();
    expect(store.state.teach).toMatchObject({ classes: ['Mug', 'Cat', 'Class 3'], counts: [1, 1, 0], changed: true });
  });

  it('the bias lesson: an average over frames of the map’s share in the middle, spoken after a few frames, reset by another view', () => {
    const { store } = setup({ teach: { ...initialState('').teach, taught: true } });
    const show = (where: 'centre' | 'corners', view: 'gradcam' | 'activations' = 'gradcam') =>
      store.set({ frame: { ...liveFrame(), heatmap: map(where) }, frameSettings: { ...store.state.settings, view } });
    for (let i = 1; i < BIAS_MIN_FRAMES; i++) show('corners');
    expect(store.state.teach.bias).toBeNull();
    show('corners');
    expect(store.state.teach.bias).toMatchObject({ objectShare: 0, flatShare: 0.49, looksAtBackground: true });
    // One centred frame moves the average a fifth of the way; the verdict holds until the average crosses.
    show('centre');
    expect(store.state.teach.bias!.objectShare).toBeCloseTo(0.2, 6);
    for (let i = 0; i < 10; i++) show('centre');
    expect(store.state.teach.bias).toMatchObject({ looksAtBackground: false });
    expect(toConvLensState(store.state, false).teach!.bias!.looksAtBackground).toBe(false);
    show('centre', 'activations');
    expect(store.state.teach.bias).toBeNull();
  });

  it('Forget sends the worker’s forget and brings the model’s classes back; another model drops the examples', async () => {
    const { store, client, teach, released, answer, deps } = setup({ labels: ['Mug', 'Cat'], goal: { index: 1, label: 'Cat' }, teach: { ...initialState('').teach, classes: ['Mug', 'Cat'], counts: [3, 4], thumbnails: ['blob:a', 'blob:b'], taught: true } });
    const forgetting = teach.forget();
    await answer([0, 0, 0, 0], false, IMAGENET_LABELS);
    await forgetting;
    expect(client.last('teach-forget').body).toEqual({});
    expect(deps.cancelTraining).toHaveBeenCalled();
    expect(store.state).toMatchObject({ labels: IMAGENET_LABELS, goal: { index: 0, label: IMAGENET_LABELS[0] }, teach: { classes: ['Mug', 'Cat'], counts: [0, 0], thumbnails: [undefined, undefined], taught: false } });
    expect(released).toEqual(['blob:a', 'blob:b']);
    store.set({ teach: { ...store.state.teach, counts: [2, 0] } });
    store.set({ ready: false });
    expect(store.state.teach).toMatchObject({ counts: [0, 0], notice: { kind: 'error', text: 'The model changed: capture your examples again.' } });
  });
});
