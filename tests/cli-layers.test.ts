import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliCommand, CliContext, OptionValues } from '../src/cli/command';
import { COMMANDS } from '../src/cli/commands';
import { ConvLensError } from '../src/core/errors';
import { type LayerUse, layersFor } from '../src/core/layer-uses';
import { expectOneLineFailures, imagePath, net, runCli } from './helpers';

/**
 * Issue 14, item 4: every layer `layers --json` lists, for every command that takes a layer, gives a result or a
 * one-line refusal naming the layers that qualify — never an internal error and never a constant map. The
 * commands run in this process (the CLI's own run functions, on the lite model) so that 88 layers × 8 uses fit in
 * a test (qualifying layers: one of each class × output shape); the last test runs a few through the real CLI for
 * the exact stderr line.
 */

const tmp = mkdtempSync(join(tmpdir(), 'convlens-layers-'));
const gallery = join(tmp, 'gallery');
mkdirSync(gallery);
for (const name of ['coffee.png', 'chelsea.png']) copyFileSync(imagePath(name), join(gallery, name));
const coffee = imagePath('coffee.png');

function context(values: OptionValues, positionals: string[] = []): CliContext {
  return { values, positionals, model: 'lite', json: true, net: () => net('lite'), progress: () => undefined, signal: new AbortController().signal };
}

type Outcome = { ok: true; result: object } | { ok: false; message: string };

async function attempt(command: CliCommand, values: OptionValues, positionals: string[] = []): Promise<Outcome> {
  try {
    return { ok: true, result: await command.run(context(values, positionals)) };
  } catch (err) {
    // Anything but a ConvLensError is what the CLI prints as "internal error": a bug.
    if (!(err instanceof ConvLensError)) throw new Error(`internal error for ${JSON.stringify(values)}: ${String(err)}`, { cause: err });
    expect(err.message, JSON.stringify(values)).not.toContain('\n');
    return { ok: false, message: err.message };
  }
}

function spread(data: readonly number[]): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return hi - lo;
}

/** Finite, and not the same non-zero value everywhere (zeros: a unit that is off on this picture has no gradient). */
function expectNotConstant(data: readonly number[], what: string): void {
  expect(data.every(Number.isFinite), `${what} is finite`).toBe(true);
  expect(spread(data) > 0 || Math.max(...data) === 0, `${what} is a non-zero constant`).toBe(true);
}

/** Each layer-taking use, how to run it for layer L, and how to check its result is not degenerate. */
const USES: { use: LayerUse; command: string; args: (layer: string) => [OptionValues, string[]]; check?: (result: object, layer: string) => void }[] = [
  {
    use: 'gradcam',
    command: 'explain',
    args: (layer) => [{ method: 'gradcam', layer }, [coffee]],
    // The bug this guards against: a 1×1 layer after the pooling upsampled into a constant map. A map of zeros
    // is a legitimate Grad-CAM answer (no positive evidence at that layer), a constant non-zero one is not.
    check: (r, layer) => {
      const { data, extras } = r as { data: number[]; extras: Record<string, number> };
      expect(extras['layerWidth']! > 1 && extras['layerHeight']! > 1, `${layer} has positions`).toBe(true);
      expect(spread(data) > 0 || Math.max(...data) === 0, `Grad-CAM map at ${layer} is a non-zero constant`).toBe(true);
    },
  },
  {
    use: 'target-channel',
    command: 'explain',
    args: (layer) => [{ method: 'saliency', 'target-layer': layer, channel: '0' }, [coffee]],
    check: (r, layer) => expectNotConstant((r as { data: number[] }).data, `saliency of ${layer} channel 0`),
  },
  {
    use: 'target-neuron',
    command: 'explain',
    args: (layer) => [{ method: 'saliency', 'target-layer': layer, channel: '0', neuron: '0,0' }, [coffee]],
    check: (r, layer) => expectNotConstant((r as { data: number[] }).data, `saliency of ${layer} neuron (0,0)`),
  },
  {
    use: 'activations',
    command: 'activations',
    args: (layer) => [{ layer }, [coffee]],
    check: (r, layer) => expect((r as { shape: number[] }).shape.slice(0, 2).every((s) => s > 1), `${layer} activation maps have positions`).toBe(true),
  },
  { use: 'top-patches', command: 'top-patches', args: (layer) => [{ layer, channel: '0', k: '1', gallery, cache: join(tmp, 'cache') }, []] },
  { use: 'feature-visualisation', command: 'visualize', args: (layer) => [{ layer, channel: '0', steps: '1' }, []] },
  { use: 'inversion', command: 'invert', args: (layer) => [{ layer, steps: '1' }, [coffee]] },
  { use: 'filters', command: 'filters', args: (layer) => [{ layer, out: join(tmp, 'filters.png') }, []] },
];

describe('every layer × every layer-taking command (lite)', () => {
  for (const { use, command, args, check } of USES) {
    it(`${command} (${use}): a result for every kind of qualifying layer, one line naming them for every other layer`, { timeout: 600_000 }, async () => {
      const model = await net('lite');
      const qualifying = new Set(layersFor(model, use).map((l) => l.name));
      expect(qualifying.size).toBeGreaterThan(0);
      // Every layer that does not qualify is tried (a refusal is cheap). Of the qualifying ones, one of each kind —
      // Keras class × output shape, e.g. Activation [28, 28, 96] — runs the whole command: layers of one kind run
      // the same code on the same shapes, and this keeps the test to about a third of the time.
      const kinds = new Set<string>();
      const accepted: string[] = [];
      const expected: string[] = [];
      for (const { name, className, outputShape } of model.layers) {
        const kind = `${className} [${outputShape.join(', ')}]`;
        if (qualifying.has(name)) {
          if (kinds.has(kind)) continue;
          kinds.add(kind);
          expected.push(name);
        }
        const [values, positionals] = args(name);
        const outcome = await attempt(COMMANDS[command]!, values, positionals);
        if (outcome.ok) {
          accepted.push(name);
          check?.(outcome.result, name);
        } else {
          expect(qualifying.has(name), `${name} refused: ${outcome.message}`).toBe(false);
          expect(outcome.message, name).toMatch(/layers that qualify for .+: /);
        }
      }
      expect(accepted).toEqual(expected);
    });
  }

  it('the input layer is named as the input picture; the layers after the pooling as having no positions', async () => {
    const model = await net('lite');
    const input = model.layers[0]!.name;
    const refused = await attempt(COMMANDS['activations']!, { layer: input }, [coffee]);
    expect(refused).toEqual({ ok: false, message: `'${input}' is the input picture itself, not a layer of the network; layers that qualify for an activation grid: conv1 … conv_pw_13_relu (81 layers, see 'layers')` });
    const dropout = await attempt(COMMANDS['explain']!, { method: 'gradcam', layer: 'dropout' }, [coffee]);
    expect(dropout).toMatchObject({ ok: false, message: expect.stringMatching(/^'dropout' \[1, 1, 256\] has no feature maps with positions \(Grad-CAM needs a layer before the global pooling\)/) });
  });
});

describe('through the real CLI: one line on stderr, nothing on stdout (layers and targets, issue 14 items 4 and 7)', () => {
  it('refuses layers that cannot serve a method, and every bad class index alike', async () => {
    const cases = [
      [['explain', coffee, '--method', 'gradcam', '--layer', 'conv_preds'], /^convlens explain: 'conv_preds' \[1, 1, 1000\] has no feature maps with positions .*layers that qualify for Grad-CAM: conv1 … conv_pw_13_relu/],
      [['explain', coffee, '--method', 'gradcam', '--layer', 'input_1'], /'input_1' is the input picture itself/],
      [['explain', coffee, '--method', 'saliency', '--layer', 'conv1'], /--layer is Grad-CAM's feature layer/],
      [['activations', coffee, '--layer', 'reshape_1'], /'reshape_1' \[1, 1, 256\] has no feature maps with positions/],
      [['invert', coffee, '--layer', 'global_average_pooling2d_1'], /layers that qualify for feature inversion/],
      [['explain', coffee, '--method', 'saliency', '--target', '-1'], /^convlens explain: class index -1 is out of range 0..999 \(or 'top'\)$/m],
      [['explain', coffee, '--method', 'saliency', '--target', 'abc'], /^convlens explain: class index abc is not a whole number in 0..999 \(or 'top'\)$/m],
      [['explain', coffee, '--method', 'saliency', '--target', '1000'], /^convlens explain: class index 1000 is out of range 0..999 \(or 'top'\)$/m],
      [['explain', coffee, '--method', 'saliency', '--target', '2.5'], /^convlens explain: class index 2.5 is not a whole number in 0..999 \(or 'top'\)$/m],
      [['explain', coffee, '--method', 'occlusion', '--patch', '4', '--stride', '28'], /occlusion stride 28 is larger than the patch 4/],
      // An output folder that does not exist is refused before any work (100000 steps would outlast the test).
      [['visualize', '--class', '1', '--steps', '100000', '--out', '/nonexistent-convlens-dir/x.png'], /^convlens visualize: cannot write \/nonexistent-convlens-dir\/x.png: ENOENT$/m],
    ] as const;
    const runs = await Promise.all(cases.map(([args]) => runCli(...args, '--model', 'lite')));
    expectOneLineFailures(cases, runs);
    // Same exit code for every bad class index.
    expect(new Set(runs.slice(5, 9).map((r) => r.code))).toEqual(new Set([1]));
  });
});
