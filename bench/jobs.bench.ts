/**
 * How long each on-demand job takes (Node, tfjs CPU backend), at each level of detail: the worker's own job code
 * (workers/jobs.ts) with the spec the app builds (src/ui/jobs/job-kinds.ts) for the frozen coffee photo, class
 * espresso, aim flamingo, channel 0 of the live layer enlarged (the neuron job). A run that passes `--cap` seconds is cancelled and its total extrapolated with the jobs'
 * own time estimate (EtaEstimator: elapsed + estimated time left), marked "~"; the process's CPU seconds are printed
 * beside the wall-clock ones (they stay meaningful when other runs share the cores). Prints a table and JSON; asserts
 * nothing. `npm run bench:jobs -- --model lite --detail default --cap 90`
 */
import { EtaEstimator } from '../src/core/eta';
import type { JobDetail } from '../src/core/attribution/defaults';
import { FeatureExtractor } from '../src/core/gallery/features';
import { MemoryFeatureCache } from '../src/core/gallery/feature-cache';
import { readImage } from '../src/node/image-io';
import { bundledGalleryDir, readGalleryDir } from '../src/node/gallery-files';
import { loadModel } from '../src/node/model-files';
import { initialState } from '../src/ui/app-state';
import { JOB_KINDS, type JobKindId } from '../src/ui/jobs/job-kinds';
import { runJob } from '../workers/jobs';
import type { LiveFrame } from '../src/core/live/settings';
import { modelsFromArgs, setupBackend, table } from './harness';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const cap = Number(arg('cap') ?? 90);
const details: JobDetail[] = arg('detail') === 'default' ? ['default'] : arg('detail') === 'detail' ? ['detail'] : ['default', 'detail'];
const kinds = (arg('jobs')?.split(',') ?? ['occlusion', 'shapley', 'ig', 'visualise', 'fool', 'uap']) as JobKindId[];

await setupBackend();
const photo = await readImage(new URL('../public/gallery/coffee.png', import.meta.url).pathname);
const gallery = await readGalleryDir(bundledGalleryDir());
const rows: (string | number)[][] = [['model', 'job', 'detail', 'seconds', 'cpu seconds', 'units', 'cancelled at']];
const results: { model: string; job: string; detail: JobDetail; seconds: number; cpuSeconds: number; extrapolated: boolean; done: number; total: number }[] = [];

for (const model of modelsFromArgs()) {
  const net = await loadModel(model);
  const extractor = new FeatureExtractor(net, { cache: new MemoryFeatureCache() });
  for (const detail of details) {
    for (const id of kinds) {
      const state = { ...initialState(''), ready: true, detail, goal: { index: 130, label: 'flamingo' }, frame: { target: { index: 967, label: 'espresso' } } as unknown as LiveFrame, channel: 0 };
      const spec = JOB_KINDS[id].spec(state, photo as never);
      if (!spec) throw new Error(`no spec for ${id}`);
      const controller = new AbortController();
      const t0 = performance.now();
      // This process's CPU time (user + system): what the job costs on an idle core when other runs share the machine.
      const cpu0 = process.cpuUsage();
      const eta = new EtaEstimator(t0);
      let last = { done: 0, total: 0, elapsedSeconds: 0, etaSeconds: undefined as number | undefined };
      const timer = setTimeout(() => controller.abort(), cap * 1000);
      let seconds: number;
      let extrapolated = false;
      try {
        await runJob(
          { net, extractor, gallery: async () => gallery, addToGallery: async () => '', toRgba: (image) => image as never },
          spec,
          {
            signal: controller.signal,
            onProgress: (done, total) => {
              last = { etaSeconds: undefined, ...eta.update(done, total, performance.now()) };
            },
            setPerturbation: (v) => v.dispose(),
          },
        );
        seconds = (performance.now() - t0) / 1000;
      } catch (err) {
        if (!controller.signal.aborted) throw err;
        extrapolated = true;
        seconds = last.elapsedSeconds + (last.etaSeconds ?? Number.NaN);
      } finally {
        clearTimeout(timer);
      }
      const used = process.cpuUsage(cpu0);
      const cpuSeconds = (used.user + used.system) / 1e6;
      results.push({ model, job: id, detail, seconds, cpuSeconds, extrapolated, done: last.done, total: last.total });
      rows.push([model, id, detail, `${extrapolated ? '~' : ''}${seconds.toFixed(1)}`, cpuSeconds.toFixed(1), `${last.done}/${last.total}`, extrapolated ? `${cap} s` : '']);
      console.error(rows.at(-1)!.join('  '));
    }
  }
  net.dispose();
}
console.log(table(rows));
console.log(JSON.stringify(results));
