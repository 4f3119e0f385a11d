import * as tf from '@tensorflow/tfjs';
import { displayMap, runAttribution } from '../src/core/attribution';
import { fool } from '../src/core/optimize/fool';
import { amplifiedPerturbation, differenceImage } from '../src/core/optimize/pixels';
import { uapFromFile } from '../src/core/optimize/uap';
import { heldOutUniversalPerturbation } from '../src/core/optimize/uap-sgd';
import { FOOL_DEFAULTS, INVERT_JOB, NEURON_VIEWS_JOB, UAP_JOB } from '../src/core/optimize/defaults';
import { invertRow, invertRowLayers } from '../src/core/optimize/invert';
import { neuronViews } from '../src/core/neuron-views';
import { visualizeClass } from '../src/core/optimize/visualize';
import { multifacetedVisualization } from '../src/core/optimize/multifaceted';
import { type GalleryEntry, entryFromImage, galleryStratum } from '../src/core/gallery/gallery';
import { embed, type EmbedMethod } from '../src/core/gallery/embed';
import type { FeatureExtractor } from '../src/core/gallery/features';
import { compareNeighbours } from '../src/core/gallery/neighbours';
import { pca } from '../src/core/gallery/pca';
import { patchGrid, topPatches } from '../src/core/gallery/top-patches';
import type { ConvNet } from '../src/core/network';
import { UNIT_BUDGET_MS } from '../src/core/pacing';
import { type RgbaImage, imageToModelInput, modelInputToImage } from '../src/core/preprocess';
import { sanityCheck } from '../src/core/sanity';
import { type GrabCutRunner, SEGMENT_DEFAULTS, segment } from '../src/core/segment';
import { classTarget } from '../src/core/target';
import { TEACH_DEFAULTS, type TaughtClassifier, checkClassNames } from '../src/core/teach';
import type { FrameImage, JobResult, JobSpec } from './protocol';

/** What a job may use: the model, the gallery (bundled + visitor snapshots) and its cached feature extractor. */
export interface JobContext {
  net: ConvNet;
  extractor: FeatureExtractor;
  gallery(): Promise<GalleryEntry[]>;
  /** Keeps a visitor's snapshot in the gallery (the browser's store, else memory); resolves to its content id. */
  addToGallery(name: string, image: RgbaImage): Promise<string>;
  /** The bundled gallery's precomputed universal perturbation for the network in use (parsed uap-MODEL.json), if any. */
  precomputedUap?(): Promise<unknown>;
  toRgba(image: FrameImage): RgbaImage;
  /**
   * Teach mode (the worker holds the captured examples): trains a head for `classes` on the loaded network and puts
   * the taught network in use; absent where there is no Teach mode.
   */
  teach?(classes: string[], epochs: number, signal: AbortSignal, onProgress: (done: number, total: number) => void): Promise<TaughtClassifier>;
  /** GrabCut for segmentations (the browser: OpenCV in its own worker, workers/grabcut-client.ts); absent: none. */
  grabCut?: GrabCutRunner | undefined;
}

/**
 * What the worker hands a running job: its cancel signal (aborted by a 'cancel' request), a progress callback (work
 * done, total and an optional preview picture, posted as 'progress') and where a computed universal perturbation is
 * kept for the live view.
 */
export interface JobControl {
  signal: AbortSignal;
  onProgress: (done: number, total: number, preview?: RgbaImage) => void;
  /** Keeps a universal perturbation for the live view ("apply to camera"); takes ownership of the tensor. */
  setPerturbation: (v: tf.Tensor4D) => void;
}

/**
 * Reports progress with a preview of an optimisation's current image (a 1×H×W×3 model input in [−1, 1]): the image
 * is copied at once, since the engine's image is borrowed and changes on the next step, and the copy is disposed
 * once converted.
 */
function sendPreview(control: JobControl, done: number, total: number, image: tf.Tensor4D): void {
  const copy = image.clone();
  void modelInputToImage(copy).then((preview) => control.onProgress(done, total, preview)).finally(() => copy.dispose());
}


/**
 * Every on-demand mode, by kind. Each runs the same core code as the CLI; long ones report progress and stop
 * at the next batch when cancelled.
 */
export async function runJob(ctx: JobContext, job: JobSpec, control: JobControl): Promise<JobResult> {
  const t0 = performance.now();
  switch (job.kind) {
    case 'explain': {
      const input = imageToModelInput(ctx.toRgba(job.image), 'stretch', ctx.net.inputSize);
      try {
        const map = await runAttribution(job.method, ctx.net, input, {
          ...job.options,
          target: job.classIndex === 'top' ? 'top' : classTarget(job.classIndex),
          signal: control.signal,
          // Passes sized by time, so a cancel acts within one short pass on a slow backend.
          paceMs: UNIT_BUDGET_MS,
          onProgress: (done, total) => control.onProgress(done, total),
        });
        const index = map.target.kind === 'class' ? map.target.index : -1;
        return {
          kind: 'explain',
          method: job.method,
          target: { index, label: index >= 0 ? (ctx.net.labels[index] ?? '') : '' },
          heatmap: { width: map.width, height: map.height, data: displayMap(job.method, map.data) },
          ...(map.signed ? { signed: map.signed } : {}),
          ...(map.extras ? { extras: map.extras } : {}),
          ms: performance.now() - t0,
        };
      } finally {
        input.tensor.dispose();
      }
    }
    case 'neighbours': {
      // Camera frames are stored only when the visitor saves a snapshot: the query's features stay uncached.
      const query = { ...(await entryFromImage('this frame', ctx.toRgba(job.image))), transient: true };
      const gallery = await ctx.gallery();
      control.onProgress(0, 1);
      const views = await compareNeighbours(ctx.extractor, query, gallery, { k: job.k ?? 5, signal: control.signal });
      control.onProgress(1, 1);
      return {
        kind: 'neighbours',
        views: views.map((v) => ({ space: v.space, metric: v.metric, neighbours: v.neighbours.map((n) => ({ id: n.entry.id, name: n.entry.name, distance: n.distance })) })),
      };
    }
    case 'embed': {
      const gallery = await ctx.gallery();
      const set = await ctx.extractor.features(gallery, { signal: control.signal, onProgress: control.onProgress });
      const method: EmbedMethod = job.method;
      const map = embed(set.vectors, method, { seed: job.seed ?? 1 });
      const projection = method === 'pca' ? pca(set.vectors, 2) : undefined;
      return {
        kind: 'embed',
        method,
        points: set.entries.map((e, i) => ({ id: e.id, name: e.name, x: map.points[i]![0], y: map.points[i]![1] })),
        vectors: set.vectors.map((v) => Float32Array.from(v)),
        ...(projection ? { pca: { mean: Float32Array.from(projection.mean), components: projection.components.slice(0, 2).map((c) => Float32Array.from(c)) } } : {}),
      };
    }
    case 'top-patches': {
      const gallery = await ctx.gallery();
      const result = await topPatches(ctx.extractor, gallery, { layer: job.layer, channel: job.channel, k: job.k ?? 9, signal: control.signal, onProgress: control.onProgress });
      return {
        kind: 'top-patches',
        layer: job.layer,
        channel: job.channel,
        grid: patchGrid(result.patches),
        rankedBy: result.rankedBy,
        patches: result.patches.map((p) => ({ name: p.entry.name, ...p.region, activation: p.activation, ...(p.preActivation === undefined ? {} : { preActivation: p.preActivation }) })),
      };
    }
    case 'class-visualisation': {
      // Watch the image emerge: a preview every few steps (copied, since the engine's image is borrowed).
      const result = await visualizeClass(ctx.net, job.classIndex, {
        preset: job.preset,
        ...(job.steps !== undefined ? { steps: job.steps } : {}),
        signal: control.signal,
        onProgress: (p) => {
          const every = Math.max(1, Math.round(p.steps / 20));
          if (p.step % every !== 0 && p.step !== p.steps) return control.onProgress(p.step, p.steps);
          sendPreview(control, p.step, p.steps, p.image);
        },
      });
      try {
        return { kind: 'class-visualisation', image: await modelInputToImage(result.image), classIndex: job.classIndex, label: result.class.label, probability: result.probability, steps: result.steps, contrastRaised: result.contrastRaised };
      } finally {
        result.image.dispose();
      }
    }
    case 'fool': {
      const input = imageToModelInput(ctx.toRgba(job.image), 'stretch', ctx.net.inputSize);
      try {
        const result = await fool(ctx.net, input.tensor, job.target, { eps: job.eps ?? FOOL_DEFAULTS.eps, signal: control.signal, onProgress: (p) => control.onProgress(p.step, p.steps) });
        try {
          return {
            kind: 'fool',
            success: result.success,
            original: await modelInputToImage(input.tensor),
            adversarial: await modelInputToImage(result.image),
            difference: await differenceImage(result.image, input.tensor),
            before: result.original,
            after: result.adversarial,
            target: result.target,
            linf: result.linf,
          };
        } finally {
          result.image.dispose();
        }
      } finally {
        input.tensor.dispose();
      }
    }
    case 'uap': {
      const eps = job.eps ?? UAP_JOB.default.eps;
      const shipped = job.train || job.eps !== undefined ? undefined : await ctx.precomputedUap?.();
      if (shipped !== undefined) {
        // The shipped one (scripts/gallery-uap.ts): made on this model with the same split, its rates measured there.
        const { perturbation, file } = uapFromFile(shipped, ctx.net.inputSize);
        const picture = await amplifiedPerturbation(perturbation);
        control.setPerturbation(perturbation);
        return {
          kind: 'uap', foolingRate: file.foolingRate, heldOutRate: file.heldOutRate ?? Number.NaN, images: file.images, heldOutImages: file.heldOutImages ?? 0,
          steps: file.passes, views: file.views ?? 0, eps: file.eps, method: file.attack, precomputed: true, picture, ms: performance.now() - t0,
        };
      }
      // Made now on the gallery's training split (augmented views), measured on its held-out pictures.
      const entries = await ctx.gallery();
      const pictures = await Promise.all(entries.map(async (e) => ({ name: e.name, input: imageToModelInput(await e.decode(), 'stretch', ctx.net.inputSize).tensor })));
      const result = await heldOutUniversalPerturbation(ctx.net, pictures, {
        eps,
        steps: job.steps ?? UAP_JOB.default.steps,
        stratum: galleryStratum,
        signal: control.signal,
        onProgress: (p) => control.onProgress(p.step, p.steps),
      }).finally(() => tf.dispose(pictures.map((p) => p.input)));
      const picture = await amplifiedPerturbation(result.perturbation);
      control.setPerturbation(result.perturbation);
      return {
        kind: 'uap', foolingRate: result.foolingRate, heldOutRate: result.heldOutRate, images: result.train.length, heldOutImages: result.heldOut.length,
        steps: result.steps, views: result.views, eps, method: result.attack, precomputed: false, picture, ms: performance.now() - t0,
      };
    }
    case 'sanity': {
      const input = imageToModelInput(ctx.toRgba(job.image), 'stretch', ctx.net.inputSize);
      try {
        const result = await sanityCheck(ctx.net, input, {
          method: job.method,
          target: job.classIndex === 'top' ? 'top' : classTarget(job.classIndex),
          ...(job.layers !== undefined ? { layers: job.layers } : {}),
          seed: job.seed ?? 0,
          signal: control.signal,
          onProgress: (done, total) => control.onProgress(done, total),
        });
        const index = result.target.kind === 'class' ? result.target.index : -1;
        const show = (data: Float32Array) => ({ width: result.original.width, height: result.original.height, data: displayMap(job.method, data) });
        return {
          kind: 'sanity',
          method: job.method,
          target: { index, label: index >= 0 ? (ctx.net.labels[index] ?? '') : '' },
          original: show(result.original.data),
          steps: result.steps.map((s) => ({ layer: s.layer, spearman: s.spearman, heatmap: show(s.map.data) })),
          ms: performance.now() - t0,
        };
      } finally {
        input.tensor.dispose();
      }
    }
    case 'teach': {
      if (!ctx.teach) throw new Error('Teach mode is not available here');
      const classes = checkClassNames(job.classes);
      const epochs = job.epochs ?? TEACH_DEFAULTS.epochs;
      const result = await ctx.teach(classes, epochs, control.signal, (done, total) => control.onProgress(done, total));
      return { kind: 'teach', classes, counts: result.counts, loss: result.loss, trainAccuracy: result.trainAccuracy, epochs, ms: result.ms };
    }
    case 'invert-row': {
      const input = imageToModelInput(ctx.toRgba(job.image), 'stretch', ctx.net.inputSize);
      try {
        const layers = job.layers ?? invertRowLayers(ctx.net, job.chosen);
        // A preview every few steps of the layer being inverted (copied: the engine's image is borrowed).
        const row = await invertRow(ctx.net, input.tensor, layers, {
          steps: job.steps ?? INVERT_JOB.default.steps,
          signal: control.signal,
          onProgress: (p) => {
            const every = Math.max(1, Math.round(p.steps / 4));
            if (p.step % every !== 0 && p.step !== p.steps) return control.onProgress(p.done, p.total);
            sendPreview(control, p.done, p.total, p.image);
          },
        });
        try {
          const steps = [];
          for (const r of row) {
            steps.push({ layer: r.layer, image: await modelInputToImage(r.image), distance: r.distance, startDistance: r.startDistance, pixelCorrelation: r.pixelCorrelation, steps: r.steps, ms: r.ms });
          }
          return { kind: 'invert-row', original: await modelInputToImage(input.tensor), row: steps, ...(job.chosen !== undefined ? { chosen: job.chosen } : {}), ms: performance.now() - t0 };
        } finally {
          tf.dispose(row.map((r) => r.image));
        }
      } finally {
        input.tensor.dispose();
      }
    }
    case 'segment': {
      if (!ctx.grabCut) throw new Error('GrabCut is not available here');
      const input = imageToModelInput(ctx.toRgba(job.image), 'stretch', ctx.net.inputSize);
      try {
        const result = await segment(ctx.net, input, {
          grabCut: ctx.grabCut,
          method: job.method ?? SEGMENT_DEFAULTS.method,
          target: job.classIndex === 'top' ? 'top' : classTarget(job.classIndex),
          signal: control.signal,
          onProgress: (done, total) => control.onProgress(done, total),
        });
        const index = result.map.target.kind === 'class' ? result.map.target.index : -1;
        return {
          kind: 'segment',
          method: result.method,
          target: { index, label: index >= 0 ? (ctx.net.labels[index] ?? '') : '' },
          mask: result.mask,
          box: result.box ?? null,
          foregroundFraction: result.foregroundFraction,
          ms: result.ms,
        };
      } finally {
        input.tensor.dispose();
      }
    }
    case 'neuron-views': {
      const input = imageToModelInput(ctx.toRgba(job.image), 'stretch', ctx.net.inputSize);
      try {
        const views = await neuronViews(ctx.net, ctx.extractor, await ctx.gallery(), input, {
          layer: job.layer,
          channel: job.channel,
          k: job.k ?? NEURON_VIEWS_JOB.default.k,
          steps: job.steps ?? NEURON_VIEWS_JOB.default.steps,
          ...(job.preset ? { preset: job.preset } : {}),
          signal: control.signal,
          onProgress: (done, total, image) => {
            if (!image || done % 5 !== 0) return control.onProgress(done, total);
            sendPreview(control, done, total, image);
          },
        });
        try {
          const v = views.visualisation;
          return {
            kind: 'neuron-views',
            layer: job.layer,
            channel: job.channel,
            neuron: { y: views.neuron.y, x: views.neuron.x, activation: views.neuron.activation, rankedBy: views.neuron.rankedBy, ...(views.neuron.preActivation !== undefined ? { preActivation: views.neuron.preActivation } : {}) },
            mapSize: views.field.mapSize,
            fieldRect: views.fieldRect,
            region: views.region,
            guided: guidedCrop(views.guided, views.region),
            visualisation: { image: await modelInputToImage(v.image), activation: v.activation, startActivation: v.startActivation, steps: v.steps },
            patches: {
              grid: patchGrid(views.patches.patches, 3),
              rankedBy: views.patches.rankedBy,
              items: views.patches.patches.map((p) => ({ name: p.entry.name, activation: p.activation, ...(p.preActivation !== undefined ? { preActivation: p.preActivation } : {}) })),
            },
            ms: performance.now() - t0,
          };
        } finally {
          views.visualisation.image.dispose();
        }
      } finally {
        input.tensor.dispose();
      }
    }
    case 'multifaceted': {
      // Scoring the gallery is quick (its features are shipped or cached); the bar follows the facets' steps, with a
      // preview of the facet being painted every few steps.
      const result = await multifacetedVisualization(ctx.extractor, await ctx.gallery(), { kind: 'class', index: job.classIndex }, {
        ...(job.facets !== undefined ? { facets: job.facets } : {}),
        ...(job.steps !== undefined ? { steps: job.steps } : {}),
        ...(job.topN !== undefined ? { topN: job.topN } : {}),
        signal: control.signal,
        onProgress: (p) => {
          if (p.phase === 'scoring' || !p.image) return control.onProgress(0, 1);
          const every = Math.max(1, Math.round(p.total / 20));
          if (p.done % every !== 0 && p.done !== p.total) return control.onProgress(p.done, p.total);
          sendPreview(control, p.done, p.total, p.image);
        },
      });
      try {
        const facets = [];
        for (const f of result.facets) {
          facets.push({
            image: await modelInputToImage(f.image),
            init: await modelInputToImage(f.init),
            logit: f.value,
            initLogit: f.initValue,
            probability: f.probability ?? 0,
            initProbability: f.initProbability ?? 0,
            members: f.members.map((m) => ({ id: m.entry.id, name: m.entry.name, logit: m.score })),
            ms: f.ms,
          });
        }
        return { kind: 'multifaceted', classIndex: job.classIndex, label: result.label ?? '', steps: result.steps, scored: result.scored, facets };
      } finally {
        for (const f of result.facets) tf.dispose([f.init, f.image]);
      }
    }
    case 'gallery-add': {
      const id = await ctx.addToGallery(job.name, ctx.toRgba(job.image));
      return { kind: 'gallery-add', id, size: (await ctx.gallery()).length };
    }
  }
}

/**
 * The guided-backprop map cut to the part of the neuron's receptive field inside the frame, normalised for display
 * there (the method's percentile rule over the field alone: the rest of the frame is zero and would swamp it).
 */
function guidedCrop(map: { width: number; data: Float32Array }, region: { x: number; y: number; width: number; height: number }): { width: number; height: number; data: Float32Array } {
  const out = new Float32Array(region.width * region.height);
  for (let y = 0; y < region.height; y++) out.set(map.data.subarray((region.y + y) * map.width + region.x, (region.y + y) * map.width + region.x + region.width), y * region.width);
  return { width: region.width, height: region.height, data: displayMap('guided', out) };
}
