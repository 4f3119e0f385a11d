import * as tf from '@tensorflow/tfjs';
import { channelStats } from '../activation-maps';
import { OcclusionSweep } from '../attribution/occlusion';
import { topK } from '../classify';
import { classLabel } from '../labels';
import { type ConvNet, type Taps, disposeTaps } from '../network';
import { toModelInput } from '../preprocess';
import { normaliseMap } from '../render/image';
import type { LiveFrame, LiveHeatmap, LiveSettings } from './settings';

export * from './settings';

/**
 * The per-frame work of the live kiosk, DOM-free so it runs in the inference worker and in Node tests alike.
 * Each frame makes ONE pass with taps: top-5, the selected layer's activations and, for the gradient views, the
 * saliency gradient (and Grad-CAM's layer gradient through a probe) all come from it. Occlusion is amortised: a
 * few batches of patches per frame, refining one map until the scene changes a lot, then starting over.
 */

export class LivePipeline {
  private sweep: { run: OcclusionSweep; input: tf.Tensor4D; target: number } | undefined;
  private readonly camLayer: string;

  constructor(private readonly net: ConvNet) {
    this.camLayer = net.spatialLayers().at(-1)!.name; // conv_pw_13_relu: Grad-CAM's usual layer
  }

  /** One frame; `perturbation` (model space, [1, 224, 224, 3]) is added to the input when given (UAP on camera). */
  async process(pixels: tf.Tensor3D, settings: LiveSettings, perturbation?: tf.Tensor4D): Promise<LiveFrame> {
    const stages: Record<string, number> = {};
    const time = async <T>(name: string, fn: () => T | Promise<T>): Promise<T> => {
      const t0 = performance.now();
      const result = await fn();
      stages[name] = (stages[name] ?? 0) + performance.now() - t0;
      return result;
    };
    const { tensor: input, crop } = await time('preprocess', () => {
      const prepared = toModelInput(pixels, settings.fit);
      if (!perturbation) return prepared;
      const perturbed = tf.tidy(() => tf.clipByValue(tf.add(prepared.tensor, perturbation), -1, 1) as tf.Tensor4D);
      prepared.tensor.dispose();
      return { tensor: perturbed, crop: prepared.crop };
    });
    try {
      const gradientView = settings.view === 'saliency' || settings.view === 'gradcam';
      const pass = await time(gradientView ? 'forward+gradient' : 'forward', () =>
        gradientView
          ? this.gradientPass(input, settings)
          : { taps: this.net.run(input, { layers: [settings.layer], probabilities: true, features: settings.features }), maps: [] },
      );
      const probs = await time('readback', () => pass.taps.probabilities!.data());
      const top5 = topK(probs.subarray(0, this.net.numClasses), 5);
      const targetIndex = settings.target === 'top' ? top5[0]!.index : settings.target;
      const activation = pass.taps.activations[settings.layer]!;
      const [, h, w, c] = activation.shape as [number, number, number, number];
      const actData = (await time('readback', () => activation.data())) as Float32Array;
      let heatmap: LiveHeatmap | undefined;
      if (pass.maps.length > 0) {
        const values = (await time('readback', () => pass.maps[0]!.data())) as Float32Array;
        const size = pass.maps[0]!.shape[1]!;
        heatmap = { width: size, height: size, data: normaliseMap(values, { percentile: settings.view === 'saliency' ? 99 : 100 }) };
      }
      const features = pass.taps.features ? ((await time('readback', () => pass.taps.features!.data())) as Float32Array) : undefined;
      disposeTaps(pass.taps);
      tf.dispose(pass.maps);
      let occlusionProgress: number | undefined;
      if (settings.view === 'occlusion') {
        const sweep = await time('occlusion', () => this.stepOcclusion(input, targetIndex, settings));
        occlusionProgress = sweep.run.progress;
        const map = sweep.run.map();
        heatmap = { width: map.width, height: map.height, data: normaliseMap(map.data) };
      }
      const shape: [number, number, number] = [h, w, c];
      return {
        top5,
        crop,
        target: { index: targetIndex, label: classLabel(targetIndex) },
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

  /**
   * Saliency or Grad-CAM in one differentiable pass. The objective is the target logit — for 'top', each
   * image's largest logit, so no separate forward pass is needed to find the class first. Live SmoothGrad puts
   * the noisy copies into the same batch (image 0 is the clean frame, which gives the top-5).
   */
  private gradientPass(input: tf.Tensor4D, settings: LiveSettings): { taps: Taps; maps: tf.Tensor[] } {
    const gradcam = settings.view === 'gradcam';
    const smooth = !gradcam && settings.saliency === 'smoothgrad';
    const n = smooth ? 1 + settings.smoothSamples : 1;
    const batch = smooth
      ? tf.tidy(() => tf.concat([input, tf.add(tf.tile(input, [n - 1, 1, 1, 1]), tf.randomNormal([n - 1, ...input.shape.slice(1)], 0, 0.3))]) as tf.Tensor4D)
      : input;
    const target = settings.target;
    const objective = (taps: Taps): tf.Scalar => {
      const logits = taps.logits!;
      return target === 'top' ? tf.sum(tf.max(logits, 1)) : tf.sum(tf.slice(logits, [0, target], [-1, 1]));
    };
    const layers = gradcam ? [settings.layer, this.camLayer] : [settings.layer];
    const result = this.net.gradient(batch, { layers, logits: true, probabilities: true, features: settings.features }, objective, {
      relu: !gradcam && settings.saliency === 'guided' ? 'guided' : 'plain',
      probes: gradcam ? [this.camLayer] : [],
    });
    if (batch !== input) batch.dispose();
    const size = this.net.inputSize;
    const maps = tf.tidy(() => {
      if (gradcam) {
        const first = (t: tf.Tensor): tf.Tensor4D => t.slice([0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
        const weights = tf.mean(first(result.probeGradients[this.camLayer]!), [1, 2], true);
        const cam = tf.relu(tf.sum(tf.mul(first(result.taps.activations[this.camLayer]!), weights), -1, true)) as tf.Tensor4D;
        return [tf.image.resizeBilinear(cam, [size, size], false, true).reshape([1, size, size])];
      }
      // Saliency: max over RGB of |gradient|, averaged over the batch (SmoothGrad) or of the one image.
      return [tf.mean(tf.max(tf.abs(result.gradient), -1), 0, true)];
    });
    tf.dispose([result.value, result.gradient, ...Object.values(result.probeGradients)]);
    const taps = result.taps;
    // Keep only what the frame needs; the first image is the clean one.
    const probabilities = taps.probabilities!.slice([0, 0], [1, -1]);
    const features = taps.features?.slice([0, 0], [1, -1]);
    const activations: Record<string, tf.Tensor> = {};
    activations[settings.layer] = taps.activations[settings.layer]!.slice([0, 0, 0, 0], [1, -1, -1, -1]);
    disposeTaps(taps);
    return { taps: { activations, probabilities, ...(features ? { features } : {}) }, maps };
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
        target: { kind: 'class', index: target },
        patch: o.patch,
        stride: o.stride,
        batchSize: o.batchSize,
      });
      this.sweep = { run, input: snapshot, target };
    }
    for (let i = 0; i < settings.occlusion.batchesPerFrame && !this.sweep.run.done; i++) await this.sweep.run.step();
    return this.sweep;
  }

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
