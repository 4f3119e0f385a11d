import { describe, expect, it } from 'vitest';
import {
  type AdapterReport,
  CHOICE_VERSION,
  type FrameTiming,
  FRAME_BUDGET_MS,
  candidateBackends,
  choiceNote,
  chooseModel,
  deviceKey,
  explainChoice,
  fastestBackend,
  isSoftwareRenderer,
  liveBudget,
  parseRemembered,
  standardWorthTiming,
} from '../workers/backend-choice';

/** Renderer strings as headless Chromium 156 reports them here, and as real machines do. */
const SWIFTSHADER_WEBGPU = 'google swiftshader SwiftShader Device (Subzero)';
const SWIFTSHADER_WEBGL = 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)';
const NVIDIA_WEBGL = 'ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 (0x00002503) Direct3D11 vs_5_0 ps_5_0, D3D11)';

const report = (backend: AdapterReport['backend'], renderer: string, available = true): AdapterReport => ({ backend, available, renderer, software: isSoftwareRenderer(renderer) });
const timing = (backend: FrameTiming['backend'], gradientMs: number, forwardMs = gradientMs / 3, model: FrameTiming['model'] = 'lite'): FrameTiming => ({ backend, model, forwardMs, gradientMs, setupMs: 1000 });

describe('software renderers', () => {
  it('names SwiftShader, llvmpipe, lavapipe, softpipe, "Software" and Microsoft Basic Render; not real GPUs', () => {
    for (const s of [SWIFTSHADER_WEBGPU, SWIFTSHADER_WEBGL, 'llvmpipe (LLVM 15.0.6, 256 bits)', 'Mesa lavapipe', 'softpipe', 'Google SwiftShader', 'Apple Software Renderer', 'ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11)']) {
      expect(isSoftwareRenderer(s), s).toBe(true);
    }
    for (const s of [NVIDIA_WEBGL, 'nvidia ampere', 'ANGLE (Apple, ANGLE Metal Renderer: Apple M2, Unspecified Version)', 'Mali-G78', 'Adreno (TM) 650', 'Intel(R) UHD Graphics 620']) {
      expect(isSoftwareRenderer(s), s).toBe(false);
    }
  });
});

describe('candidate backends', () => {
  it('a software WebGPU adapter is not timed; software WebGL and CPU are (this machine)', () => {
    expect(candidateBackends([report('webgpu', SWIFTSHADER_WEBGPU), report('webgl', SWIFTSHADER_WEBGL), report('cpu', 'cpu')])).toEqual(['webgl', 'cpu']);
  });
  it('a hardware WebGPU adapter is timed first; backends that cannot start are left out; CPU always stays', () => {
    expect(candidateBackends([report('webgpu', 'nvidia ampere'), report('webgl', NVIDIA_WEBGL), report('cpu', 'cpu')])).toEqual(['webgpu', 'webgl', 'cpu']);
    expect(candidateBackends([report('webgpu', '', false), report('webgl', '', false)])).toEqual(['cpu']);
    expect(candidateBackends([{ backend: 'webgpu', available: true, renderer: 'some vendor', software: true }])).toEqual(['cpu']); // fallback adapter
  });
});

describe('fastest backend', () => {
  const t = (backend: FrameTiming['backend'], gradientMs: number, setupMs: number): FrameTiming => ({ ...timing(backend, gradientMs), setupMs });
  it('takes the shortest gradient frame when the others are more than 25 % slower', () => {
    expect(fastestBackend([t('webgl', 210, 20_000), t('cpu', 380, 2000)])).toBe('webgl');
    expect(fastestBackend([t('webgl', 900, 20_000), t('cpu', 380, 2000)])).toBe('cpu');
    expect(fastestBackend([t('webgpu', 40, 9000), t('webgl', 51, 3000), t('cpu', 900, 1000)])).toBe('webgpu'); // 27.5 % apart
  });
  it('within 25 % the shorter setup wins (the measured case here), then the order WebGPU, WebGL, CPU', () => {
    expect(fastestBackend([t('webgl', 1019, 23_362), t('cpu', 1056, 2091)])).toBe('cpu');
    expect(fastestBackend([t('webgl', 1019, 1500), t('cpu', 1270, 2091)])).toBe('webgl');
    expect(fastestBackend([t('cpu', 200, 1000), t('webgl', 200, 1000)])).toBe('webgl');
  });
  it('refuses an empty list', () => {
    expect(() => fastestBackend([])).toThrow('no backend could be timed');
  });
});

describe('model', () => {
  it('standard at 2 gradient frames/s or more, else lite; untimed keeps standard', () => {
    expect(chooseModel(timing('webgl', 500, 100, 'standard'))).toBe('standard');
    expect(chooseModel(timing('webgl', 501, 100, 'standard'))).toBe('lite');
    expect(chooseModel(undefined)).toBe('standard');
  });
  it('a lite gradient frame already under 2 frames/s decides for lite without timing standard', () => {
    expect(standardWorthTiming(timing('webgl', 1076))).toBe(false);
    expect(standardWorthTiming(timing('webgl', 500))).toBe(true);
    expect(standardWorthTiming(undefined)).toBe(true);
    expect(explainChoice([], [timing('webgl', 1076), timing('cpu', 1140)], 'webgl', 'lite')).toBe(
      'Measured one warm lite gradient frame: webgl 1076 ms, cpu 1140 ms → webgl. Lite already under 2 gradient frames/s: standard not timed → lite.',
    );
  });
  it('visitors are told only when lite was chosen for speed', () => {
    expect(choiceNote('lite', 'measured', false)).toMatch(/smaller, faster network/);
    expect(choiceNote('lite', 'remembered', false)).toMatch(/smaller, faster network/);
    expect(choiceNote('lite', 'measured', true)).toBe('');
    expect(choiceNote('standard', 'measured', false)).toBe('');
  });
});

describe('live budget (500 ms per frame)', () => {
  it('SmoothGrad: n+1 gradient frames fit the budget, 1..4 samples', () => {
    expect(FRAME_BUDGET_MS).toBe(500);
    // 500 / 60 = 8.3 → 8 frames → 7 samples → capped at 4
    expect(liveBudget({ gradientMs: 60, forwardMs: 20 }).smoothSamples).toBe(4);
    // 500 / 160 = 3.1 → 3 frames → 2 samples: (2 + 1) × 160 = 480 ≤ 500
    expect(liveBudget({ gradientMs: 160, forwardMs: 50 }).smoothSamples).toBe(2);
    // a 400 ms gradient frame cannot fit even one more; the minimum useful map is one noisy copy
    expect(liveBudget({ gradientMs: 400, forwardMs: 120 }).smoothSamples).toBe(1);
  });
  it('occlusion: the frame forward plus a power-of-two batch of forwards fit, 1..8', () => {
    // (500 − 50) / 50 = 9 → 8
    expect(liveBudget({ gradientMs: 160, forwardMs: 50 }).occlusionBatch).toBe(8);
    // (500 − 120) / 120 = 3.2 → 3 → 2: 120 + 2 × 120 = 360 ≤ 500, 4 would be 600
    expect(liveBudget({ gradientMs: 400, forwardMs: 120 }).occlusionBatch).toBe(2);
    expect(liveBudget({ gradientMs: 2000, forwardMs: 700 }).occlusionBatch).toBe(1);
  });
  it('the stated budget is returned with the sizes, and a custom one is honoured', () => {
    expect(liveBudget({ gradientMs: 100, forwardMs: 30 }, 1000)).toEqual({ budgetMs: 1000, smoothSamples: 4, occlusionBatch: 8 });
    expect(liveBudget({ gradientMs: 100, forwardMs: 30 }, 250)).toEqual({ budgetMs: 250, smoothSamples: 1, occlusionBatch: 4 });
  });
});

describe('device key and remembered choices', () => {
  it('the key holds every available renderer, in a stable order', () => {
    const a = [report('webgpu', SWIFTSHADER_WEBGPU), report('webgl', SWIFTSHADER_WEBGL), report('cpu', 'cpu')];
    expect(deviceKey(a)).toBe(`cpu=cpu|webgl=${SWIFTSHADER_WEBGL}|webgpu=${SWIFTSHADER_WEBGPU}`);
    expect(deviceKey([...a].reverse())).toBe(deviceKey(a));
    expect(deviceKey([report('webgpu', '', false), report('cpu', 'cpu')])).toBe('cpu=cpu');
    expect(deviceKey([report('webgl', NVIDIA_WEBGL), report('cpu', 'cpu')])).not.toBe(deviceKey([report('webgl', SWIFTSHADER_WEBGL), report('cpu', 'cpu')]));
  });
  it('parses a stored choice back; refuses damaged ones and those from older rules', () => {
    const good = { version: CHOICE_VERSION, backend: 'webgl', model: 'lite', budget: { budgetMs: 500, smoothSamples: 2, occlusionBatch: 4 }, reason: 'r', timings: [] };
    expect(parseRemembered(JSON.stringify(good))).toEqual(good);
    expect(parseRemembered(JSON.stringify({ ...good, version: 0 }))).toBeUndefined();
    expect(parseRemembered(JSON.stringify({ ...good, backend: 'wasm' }))).toBeUndefined();
    expect(parseRemembered(JSON.stringify({ ...good, budget: { budgetMs: 500, smoothSamples: 0, occlusionBatch: 4 } }))).toBeUndefined();
    expect(parseRemembered('{not json')).toBeUndefined();
    expect(parseRemembered(null)).toBeUndefined();
  });
});

describe('the operator sentence', () => {
  it('says when a tie was decided by the faster start', () => {
    const slowStart = { ...timing('webgl', 1019), setupMs: 23_362 };
    const quickStart = { ...timing('cpu', 1056), setupMs: 2091 };
    expect(explainChoice([], [slowStart, quickStart], 'cpu', 'lite')).toMatch(/^Measured one warm lite gradient frame: webgl 1019 ms, cpu 1056 ms → cpu \(within 25 %: the faster start, webgl 23\.4 s, cpu 2\.1 s\)\./);
  });
  it('lists the timings, the software renderers and the model rule', () => {
    const adapters = [report('webgpu', SWIFTSHADER_WEBGPU), report('webgl', SWIFTSHADER_WEBGL), report('cpu', 'cpu')];
    const text = explainChoice(adapters, [timing('webgl', 210.4), timing('cpu', 380), timing('webgl', 1250, 400, 'standard'), timing('webgl', 230)], 'webgl', 'lite');
    expect(text).toBe(
      `Measured one warm lite gradient frame: webgl 210 ms, cpu 380 ms → webgl. WebGPU is a software renderer (${SWIFTSHADER_WEBGPU}), not timed. ` +
        `WebGL is a software renderer (${SWIFTSHADER_WEBGL}). Standard model: 0.80 gradient frames/s (under 2) → lite.`,
    );
    expect(explainChoice([], [timing('cpu', 300, 100, 'standard')], 'cpu', 'standard')).toBe('Standard model: 3.3 gradient frames/s.');
  });
});
