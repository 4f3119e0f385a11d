/**
 * Input-optimisation benchmark (Node, tfjs CPU backend): steps per second of the one engine in each mode's
 * configuration, per model. A "step" is one differentiable pass plus the update (regularisers, projection); for
 * DeepFool one iteration (a batch of one input copy per candidate class). Timed between consecutive progress
 * callbacks (median), so a mode's set-up (target features, final 8-bit check) does not count; fixed step counts
 * (no early stop). Prints figures; asserts nothing.
 *
 *   npx tsx bench/optimize.bench.ts [--model lite|standard]
 */
import * as tf from '@tensorflow/tfjs';
import type { ConvNet } from '../src/core/network';
import { DEEPFOOL_DEFAULTS } from '../src/core/optimize/attacks';
import { optimize, type ProgressCallback } from '../src/core/optimize/engine';
import { invertFeatures } from '../src/core/optimize/invert';
import { channelMean, classLogit, crossEntropy, logitMargins } from '../src/core/optimize/objectives';
import { linfBall, pixelRange } from '../src/core/optimize/projections';
import { deepFoolStep, signAscent } from '../src/core/optimize/steps';
import { pixelsToModel } from '../src/core/optimize/units';
import { runPreset } from '../src/core/optimize/visualize';
import { imageToModelInput } from '../src/core/preprocess';
import { readImage } from '../src/node/image-io';
import { loadModel } from '../src/node/model-files';
import { modelsFromArgs, setupBackend, table } from './harness';

await setupBackend();
const photo = imageToModelInput(await readImage(new URL('../public/gallery/coffee.png', import.meta.url).pathname)).tensor;

interface Mode {
  name: string;
  /** Runs `steps` steps of the mode's configuration. */
  run(net: ConvNet, steps: number, onProgress: ProgressCallback): Promise<void>;
}

const disposeImage = (r: { image: tf.Tensor }): void => r.image.dispose();

const MODES: Mode[] = [
  ...(['l2', 'yosinski', 'lucid-lite'] as const).map(
    (preset): Mode => ({
      name: `visualize --class (${preset})`,
      run: (net, steps, onProgress) => runPreset(net, classLogit(net, 130), { preset, steps, onProgress }).then(disposeImage),
    }),
  ),
  {
    name: 'visualize --layer conv_pw_5_relu (l2)',
    run: (net, steps, onProgress) => runPreset(net, channelMean(net, 'conv_pw_5_relu', 10), { preset: 'l2', steps, onProgress }).then(disposeImage),
  },
  {
    name: 'visualize --layer conv_pw_11_relu (l2)',
    run: (net, steps, onProgress) => runPreset(net, channelMean(net, 'conv_pw_11_relu', 10), { preset: 'l2', steps, onProgress }).then(disposeImage),
  },
  {
    name: 'invert --layer conv_pw_5_relu (yosinski)',
    run: (net, steps, onProgress) => invertFeatures(net, photo, 'conv_pw_5_relu', { steps, onProgress }).then(disposeImage),
  },
  {
    name: 'fool (PGD step, L∞ ε 8)',
    run: (net, steps, onProgress) =>
      optimize(net, {
        objective: crossEntropy(net, 9),
        init: photo,
        steps,
        onProgress,
        stepRule: signAscent(pixelsToModel(2)),
        projections: [linfBall(photo, 8), pixelRange()],
      }).then(disposeImage),
  },
  {
    name: 'uap inner: gradient attack step',
    run: (net, steps, onProgress) =>
      optimize(net, { objective: crossEntropy(net, 967, 'away'), base: photo, steps, onProgress, stepRule: signAscent(pixelsToModel(1)) }).then(
        disposeImage,
      ),
  },
  ...[3, DEEPFOOL_DEFAULTS.candidates].map(
    (k): Mode => ({
      name: `uap inner: DeepFool iteration (${k} candidates)`,
      run: (net, steps, onProgress) => {
        const candidates = [968, 504, 505, 899, 849, 725, 901, 438, 440].slice(0, k - 1);
        return optimize(net, {
          objective: logitMargins(net, 967, candidates),
          base: photo,
          steps,
          onProgress,
          stepRule: deepFoolStep({ original: 967, candidates }),
        }).then(disposeImage);
      },
    }),
  ),
];

/** Median time between consecutive progress callbacks over a run of `steps` steps, after a warm-up step. */
async function msPerStep(net: ConvNet, mode: Mode, steps: number): Promise<number> {
  await mode.run(net, 1, () => undefined);
  const times: number[] = [];
  await mode.run(net, steps, () => void times.push(performance.now()));
  const gaps = times.slice(1).map((t, i) => t - times[i]!).sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]!;
}

const rows: (string | number)[][] = [['mode', 'model', 'steps/s', 'ms/step']];
for (const id of modelsFromArgs()) {
  const net = await loadModel(id);
  for (const mode of MODES) {
    const ms = await msPerStep(net, mode, id === 'lite' ? 6 : 3);
    rows.push([mode.name, id, Number((1000 / ms).toFixed(2)), Math.round(ms)]);
    console.error(`${id}: ${mode.name} ${Math.round(ms)} ms/step`);
  }
  net.dispose();
}
console.log(table(rows));
