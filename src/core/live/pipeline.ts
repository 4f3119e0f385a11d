import * as tf from '@tensorflow/tfjs';
import { channelStats } from '../activation-maps';
import { displayMap } from '../attribution';
import { SMOOTHGRAD_DEFAULTS } from '../attribution/defaults';
import { gradCamPass } from '../attribution/gradcam';
import { saliencyPass } from '../attribution/gradient';
import { OcclusionSweep } from '../attribution/occlusion';
import { topK } from '../classify';
import { type ConvNet, type TapRequest, type Taps, disposeTaps } from '../network';
import { type RgbaImage, modelInputToImage, toModelInput } from '../preprocess';
import { type TargetChoice, classTarget } from '../target';
import { type LiveFrame, type LiveHeatmap, type LiveSettings, type PerturbedView, liveMethod } from './settings';

export * from './settings';

/**
 * The per-frame work of the live kiosk, DOM-free so it runs in the inference worker and in Node tests alike.
 * Each frame makes ONE pass with taps, and the maps come from the core's attribution methods themselves — the
 * same functions, options and display rule as the CLI and the jobs:
 * - activations / filters / occlusion: one fused forward pass for the top-5 and the selected layer;
 * - saliency (gradient, guided, SmoothGrad): `saliencyPass` — one differentiable pass that also yields the
 *   top-5 and the layer (SmoothGrad's noisy copies ride in the same batch as the clean frame);
 * - Grad-CAM: `gradCamPass` — its fused forward pass yields the taps, then a partial backward pass.
 * Occlusion is amortised: a few batches of patches per frame refine one `OcclusionSweep` until the scene changes
 * a lot, then it starts over.
 */
export class LivePipeline {
  private sweep: { run: OcclusionSweep; input: tf.Tensor4D; target: number } | undefined;

  constructor(private readonly net: ConvNet) {}

  /** One frame; `perturbation` (model space, [1, 224, 224, 3]) is added to the input when given (UAP on camera). */
  async process(pixels: tf.Tensor3D, settings: LiveSettings, perturbation?: tf.Tensor4D): Promise<LiveFrame> {
    const stages: Record<string, number> = {};
    const time = async <T>(name: string, fn: () => T | Promise<T>): Promise<T> => {
      const t0 = performance.now();
      const result = await fn();
      stages[name] = (stages[name] ?? 0) + performance.now() - t0;
      return result;
    };
    let clean: { probs: Float32Array; picture: RgbaImage } | undefined;
    const { tensor: input, crop } = await time('preprocess', async () => {
      const prepared = toModelInput(pixels, settings.fit, this.net.inputSize);
      if (!perturbation) return prepared;
      const perturbed = tf.tidy(() => tf.clipByValue(tf.add(prepared.tensor, perturbation), -1, 1) as tf.Tensor4D);
      try {
        // The clean frame's prediction (one more forward pass) and the perturbed picture the network sees.
        const taps = this.net.run(prepared.tensor, { probabilities: true });
        const probs = (await taps.probabilities!.data()) as Float32Array;
        disposeTaps(taps);
        clean = { probs, picture: await modelInputToImage(perturbed) };
      } catch (err) {
        perturbed.dispose();
        throw err;
      } finally {
        prepared.tensor.dispose();
      }
      return { tensor: perturbed, crop: prepared.crop };
    });
    try {
      const request: TapRequest = { layers: [settings.layer], probabilities: true, features: settings.features };
      const target: TargetChoice = settings.target === 'top' ? 'top' : classTarget(settings.target);
      const method = liveMethod(settings);
      let taps: Taps;
      let map: tf.Tensor2D | undefined;
      if (settings.view === 'saliency') {
        const smooth = settings.saliency === 'smoothgrad';
        const pass = await time('forward+gradient', () =>
          saliencyPass(this.net, input, {
            target,
            rule: settings.saliency === 'guided' ? 'guided' : 'plain',
            taps: request,
            ...(smooth ? { smoothing: { ...SMOOTHGRAD_DEFAULTS, samples: settings.smoothSamples }, batchSize: settings.smoothSamples } : {}),
          }),
        );
        ({ taps, map } = pass);
      } else if (settings.view === 'gradcam') {
        const pass = await time('forward+gradient', () => gradCamPass(this.net, input, { target, taps: request }));
        pass.cam.dispose();
        ({ taps, map } = pass);
      } else {
        taps = await time('forward', () => this.net.run(input, request));
      }
      const probs = await time('readback', () => taps.probabilities!.data());
      const top5 = topK(probs.subarray(0, this.net.numClasses), 5, this.net.labels);
      const targetIndex = settings.target === 'top' ? top5[0]!.index : settings.target;
      const activation = taps.activations[settings.layer]!;
      const [, h, w, c] = activation.shape as [number, number, number, number];
      const actData = (await time('readback', () => activation.data())) as Float32Array;
      let heatmap: LiveHeatmap | undefined;
      if (map && method) {
        const values = (await time('readback', () => map.data())) as Float32Array;
        heatmap = { width: map.shape[1], height: map.shape[0], data: displayMap(method, values) };
        map.dispose();
      }
      const features = taps.features ? ((await time('readback', () => taps.features!.data())) as Float32Array) : undefined;
      disposeTaps(taps);
      let occlusionProgress: number | undefined;
      if (settings.view === 'occlusion') {
        const sweep = await time('occlusion', () => this.stepOcclusion(input, targetIndex, settings));
        occlusionProgress = sweep.run.progress;
        const occ = sweep.run.map();
        heatmap = { width: occ.width, height: occ.height, data: displayMap('occlusion', occ.data) };
      }
      const shape: [number, number, number] = [h, w, c];
      let perturbed: PerturbedView | undefined;
      if (clean) {
        const before = topK(clean.probs.subarray(0, this.net.numClasses), 1, this.net.labels)[0]!;
        perturbed = { picture: clean.picture, before, beforeAfter: probs[before.index] ?? 0, after: top5[0]! };
      }
      return {
        top5,
        ...(perturbed ? { perturbed } : {}),
        crop,
        target: { index: targetIndex, label: this.net.labels[targetIndex] ?? '' },
        activations: { layer: settings.layer, shape, data: actData, channels: channelStats(actData, shape) },
        heatmap,
        occlusionProgress,
        features,
        stages,
      };
    } finally {
      input.dispose();
    }
  }

  private async stepOcclusion(input: tf.Tensor4D, target: number, settings: LiveSettings): Promise<NonNullable<LivePipeline['sweep']>> {
    if (this.sweep) {
      const change = tf.tidy(() => tf.mean(tf.abs(tf.sub(this.sweep!.input, input))).dataSync()[0]!);
      if (change > settings.sceneChange || this.sweep.target !== target) this.resetOcclusion();
    }
    if (!this.sweep) {
      const snapshot = tf.clone(input);
      const o = settings.occlusion;
      const run = new OcclusionSweep(this.net, { tensor: snapshot, crop: { x: 0, y: 0, width: 1, height: 1 } }, {
        target: classTarget(target),
        patch: o.patch,
        stride: o.stride,
        batchSize: o.batchSize,
      });
      this.sweep = { run, input: snapshot, target };
    }
    for (let i = 0; i < settings.occlusion.batchesPerFrame && !this.sweep.run.done; i++) await this.sweep.run.step();
    return this.sweep;
  }

  /** Drops the occlusion sweep in progress (the next occlusion frame starts a new one). */
  resetOcclusion(): void {
    if (!this.sweep) return;
    this.sweep.run.dispose();
    this.sweep.input.dispose();
    this.sweep = undefined;
  }

  dispose(): void {
    this.resetOcclusion();
  }
}
