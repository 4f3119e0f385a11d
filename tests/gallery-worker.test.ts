import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentId } from '../src/core/gallery/gallery';
import { GalleryStore, MemoryImageRecords } from '../src/core/gallery/store';
import { decodeImage, encodePng } from '../src/node/image-io';
import { storedGalleryOf } from '../workers/gallery-store';
import type { JobResult, JobSpec } from '../workers/protocol';
import { ROOT, sharedImage } from './helpers';
import { workerHarness } from './worker-harness';

/**
 * The worker's handler with the stored gallery attached (the same adapter the browser worker uses, over memory
 * records and Node's PNG/JPEG codecs instead of IndexedDB and OffscreenCanvas).
 */
function harness(store: GalleryStore) {
  const { handle, replies } = workerHarness({
    storedGallery: storedGalleryOf(store, { encodePng: async (image) => new Uint8Array(encodePng(image)), decode: async (bytes) => decodeImage(bytes) }),
  });
  let nextId = 1;
  const run = async (job: JobSpec): Promise<JobResult> => {
    const id = nextId++;
    await handle({ type: 'job', id, job });
    const reply = replies.find((r) => r.id === id && r.type !== 'progress');
    if (reply?.type !== 'done') throw new Error(JSON.stringify(reply));
    return reply.result;
  };
  return { handle, run };
}

const names = (r: JobResult): string[] => (r.kind === 'embed' ? r.points.map((p) => p.name) : []);

describe('worker gallery = bundled + stored pictures', () => {
  it('sees imports on the next job, stores snapshots as PNG with origin snapshot, and loses them when forgotten', async () => {
    const store = new GalleryStore(new MemoryImageRecords());
    const h = harness(store);
    await h.handle({ type: 'init', id: 0, model: 'lite', modelsUrl: 'unused' });

    expect(names(await h.run({ kind: 'embed', method: 'pca' }))).toHaveLength(7);

    // Imported while the worker runs: the next job has it, without a restart.
    const rocket = new Uint8Array(readFileSync(join(ROOT, 'public', 'gallery', 'rocket.jpg')));
    const copy = new Uint8Array([...rocket.subarray(0, 2), 0xff, 0xfe, 0, 6, 0x63, 0x6f, 0x70, 0x79, ...rocket.subarray(2)]);
    expect((await store.add('rocket-copy.jpg', copy)).status).toBe('stored');
    // The bundled rocket.jpg stored again would repeat a gallery entry: the worker keeps one.
    expect((await store.add('rocket again.jpg', rocket)).status).toBe('stored');
    const map = await h.run({ kind: 'embed', method: 'pca' });
    expect(names(map)).toHaveLength(8);
    expect(names(map)).toContain('rocket-copy.jpg');
    expect(names(map)).not.toContain('rocket again.jpg');

    const added = await h.run({ kind: 'gallery-add', image: sharedImage('chelsea.png'), name: 'snapshot 1' });
    if (added.kind !== 'gallery-add') throw new Error(added.kind);
    expect(added.size).toBe(9);
    const snapshot = (await store.list()).find((r) => r.origin === 'snapshot')!;
    expect(snapshot).toMatchObject({ id: added.id, name: 'snapshot 1', type: 'image/png' });
    expect(snapshot.id).toBe(await contentId(snapshot.bytes));
    expect(await decodeImage(snapshot.bytes)).toEqual(sharedImage('chelsea.png'));
    // The same frame again is the same picture: no second copy.
    const again = await h.run({ kind: 'gallery-add', image: sharedImage('chelsea.png'), name: 'snapshot 2' });
    expect(again).toMatchObject({ id: added.id, size: 9 });

    // Nearest neighbours of the same picture in pixel space: the bundled chelsea.png and the stored snapshot of
    // it, both at distance 0.
    const near = await h.run({ kind: 'neighbours', image: sharedImage('chelsea.png'), k: 3 });
    if (near.kind !== 'neighbours') throw new Error(near.kind);
    const pixel = near.views.find((v) => v.space === 'pixel')!.neighbours;
    expect(pixel.slice(0, 2).map((n) => basename(n.name)).sort()).toEqual(['chelsea.png', 'snapshot 1']);
    expect(pixel[1]!.distance).toBeLessThan(1e-6);
    expect(pixel[2]!.distance).toBeGreaterThan(1);

    expect(await store.forgetSnapshots()).toEqual([added.id]);
    expect(names(await h.run({ kind: 'embed', method: 'pca' }))).toHaveLength(8);
  });
});
