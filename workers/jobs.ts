import { ATTRIBUTION_METHODS } from '../src/core/attribution';
import { type GalleryEntry, entryFromImage } from '../src/core/gallery/gallery';
import { embed, type EmbedMethod } from '../src/core/gallery/embed';
import type { FeatureExtractor } from '../src/core/gallery/features';
import { compareNeighbours } from '../src/core/gallery/neighbours';
import { pca } from '../src/core/gallery/pca';
import { patchGrid, topPatches } from '../src/core/gallery/top-patches';
import type { ConvNet } from '../src/core/network';
import { type RgbaImage, imageToModelInput } from '../src/core/preprocess';
import { normaliseMap } from '../src/core/render/image';
import type { FrameImage, JobResult, JobSpec } from './protocol';

/** What a job may use: the model, the gallery (bundled + visitor snapshots) and its cached feature extractor. */
export interface JobContext {
  net: ConvNet;
  extractor: FeatureExtractor;
  gallery(): Promise<GalleryEntry[]>;
  addToGallery(entry: GalleryEntry): void;
  toRgba(image: FrameImage): RgbaImage;
}

export interface JobControl {
  signal: AbortSignal;
  onProgress: (done: number, total: number) => void;
}

/**
 * Every on-demand mode, by kind. Each runs the same core code as the CLI; long ones report progress and stop
 * at the next batch when cancelled.
 */
export async function runJob(ctx: JobContext, job: JobSpec, control: JobControl): Promise<JobResult> {
  const t0 = performance.now();
  switch (job.kind) {
    case 'explain': {
      const input = imageToModelInput(ctx.toRgba(job.image));
      try {
        const map = await ATTRIBUTION_METHODS[job.method](ctx.net, input, {
          target: { kind: 'class', index: job.classIndex },
          ...job.options,
          ...control,
        });
        return { kind: 'explain', heatmap: { width: map.width, height: map.height, data: normaliseMap(map.data, { percentile: 99 }) }, ms: performance.now() - t0 };
      } finally {
        input.tensor.dispose();
      }
    }
    case 'neighbours': {
      const query = await entryFromImage('this frame', ctx.toRgba(job.image));
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
        patches: result.patches.map((p) => ({ name: p.entry.name, ...p.region, activation: p.activation })),
      };
    }
    case 'gallery-add': {
      const entry = await entryFromImage(job.name, ctx.toRgba(job.image));
      ctx.addToGallery(entry);
      return { kind: 'gallery-add', id: entry.id, size: (await ctx.gallery()).length };
    }
  }
}
