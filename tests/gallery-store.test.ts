import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeBundle, encodeBundle } from '../src/core/gallery/bundle';
import { contentId } from '../src/core/gallery/gallery';
import { GalleryStore, MemoryImageRecords, type StoredImage, storageFailure } from '../src/core/gallery/store';
import { ROOT } from './helpers';

const bundled = (name: string): Uint8Array => new Uint8Array(readFileSync(join(ROOT, 'public', 'gallery', name)));
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(ROOT, 'tests', 'fixtures', 'gallery', name)));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Memory records with a byte budget: a write that would pass it fails as IndexedDB's does when the quota is used up. */
class LimitedRecords extends MemoryImageRecords {
  constructor(private capacity: number) {
    super();
  }

  override async put(record: StoredImage): Promise<void> {
    const used = (await this.all()).reduce((n, r) => n + r.bytes.length, 0);
    if (used + record.bytes.length > this.capacity) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    await super.put(record);
  }
}

/** A File-like reader over bytes: `read(end)` gives the first `end` bytes, and counts what was read. */
function reader(bytes: Uint8Array) {
  const reads: number[] = [];
  return {
    reads,
    read: async (end?: number) => {
      const part = bytes.subarray(0, end ?? bytes.length);
      reads.push(part.length);
      return part;
    },
  };
}

describe('gallery store', () => {
  it('stores good pictures by content id, refuses bad ones one by one, skips duplicates, keeps order', async () => {
    let changes = 0;
    let clock = 1000;
    const store = new GalleryStore(new MemoryImageRecords(), { now: () => clock++, onChange: () => changes++ });
    const jpeg = bundled('rocket.jpg');
    const outcomes = [
      await store.add('rocket.jpg', jpeg),
      await store.add('notes.png', text('a shopping list')),
      await store.add('cut.jpg', jpeg.subarray(0, 5000)),
      await store.add('cat.gif', fixture('chelsea-64.gif')),
      await store.add('rocket copy.jpg', jpeg.slice()),
    ];
    expect(outcomes.map((o) => o.status)).toEqual(['stored', 'rejected', 'rejected', 'stored', 'duplicate']);
    expect(outcomes.map((o) => o.message)).toEqual([
      'rocket.jpg: added (110 KB)',
      'notes.png: not an image (it is text)',
      'cut.jpg: truncated: the JPEG ends before its end marker (FFD9)',
      'cat.gif: added (2.3 KB)',
      'rocket copy.jpg: already in the gallery as rocket.jpg; skipped',
    ]);
    expect(changes).toBe(2);
    const list = await store.list();
    expect(list.map((r) => [r.name, r.type, r.origin, r.added])).toEqual([
      ['rocket.jpg', 'image/jpeg', 'import', 1000],
      ['cat.gif', 'image/gif', 'import', 1001],
    ]);
    expect(list[0]!.id).toBe(await contentId(jpeg));
    expect(list[0]!.bytes).toEqual(jpeg);
  });

  it('skips pictures the gallery already has without storing them (the bundled ones)', async () => {
    const coffee = bundled('coffee.png');
    const known = new Map([[await contentId(coffee), 'coffee.png']]);
    const store = new GalleryStore(new MemoryImageRecords(), { known: async () => known });
    expect(await store.add('my coffee.png', coffee)).toMatchObject({ status: 'duplicate', message: 'my coffee.png: already in the gallery as coffee.png (bundled); skipped' });
    expect(await store.list()).toEqual([]);
  });

  it('a decode check can still refuse a picture whose bytes look whole', async () => {
    const seen: string[] = [];
    const store = new GalleryStore(new MemoryImageRecords(), {
      decodes: async (bytes, type) => (seen.push(type), bytes.length < 1000 ? 'the browser cannot decode it' : undefined),
    });
    expect((await store.add('tiny.webp', fixture('chelsea-64.webp'))).message).toBe('tiny.webp: the browser cannot decode it');
    expect((await store.add('rocket.jpg', bundled('rocket.jpg'))).status).toBe('stored');
    expect(seen).toEqual(['image/webp', 'image/jpeg']);
  });

  it('a full store reports "Storage is full" for each file that did not fit; earlier files stay', async () => {
    const rocket = bundled('rocket.jpg');
    const clock = bundled('clock_motion.png');
    const records = new LimitedRecords(rocket.length + clock.length + 10);
    const store = new GalleryStore(records);
    const outcomes = [];
    for (const [name, bytes] of [['rocket.jpg', rocket], ['clock.png', clock], ['camera.png', bundled('camera.png')], ['cat.gif', fixture('chelsea-64.gif')]] as const) {
      outcomes.push(await store.add(name, bytes));
    }
    expect(outcomes.map((o) => o.status)).toEqual(['stored', 'stored', 'failed', 'failed']);
    expect(outcomes[2]!.message).toBe('Storage is full: camera.png was not stored (QuotaExceededError). Remove some pictures to make room.');
    expect(outcomes[3]!.message).toMatch(/^Storage is full: cat\.gif was not stored/);
    expect((await store.list()).map((r) => r.name)).toEqual(['rocket.jpg', 'clock.png']);
    // Other write errors are reported as they are.
    expect(storageFailure('x.png', new DOMException('The database connection is closing.', 'InvalidStateError'))).toBe(
      'x.png: could not be stored (InvalidStateError: The database connection is closing.)',
    );
  });

  it('imports files: a gallery file picture by picture, an oversized picture refused after reading 64 bytes', async () => {
    const store = new GalleryStore(new MemoryImageRecords(), { maxBytes: 200 * 1024 });
    const big = reader(bundled('astronaut.png'));
    expect(await store.importFile('astronaut.png', 791555, big.read)).toEqual([
      { name: 'astronaut.png', status: 'rejected', message: 'astronaut.png: too large: 773 KB (the limit is 200 KB)' },
    ]);
    expect(big.reads).toEqual([64]);

    const bundle = text(
      encodeBundle([
        { name: 'cat.webp', type: 'image/webp', origin: 'snapshot', added: 5, bytes: fixture('chelsea-64.webp') },
        { name: 'notes.png', type: 'image/png', origin: 'import', added: 6, bytes: text('not a picture') },
      ]),
    );
    const outcomes = await store.importFile('lecture.json', bundle.length, reader(bundle).read);
    expect(outcomes.map((o) => o.message)).toEqual(['notes.png (in lecture.json): not an image (it is text)', 'cat.webp: added (890 bytes)']);
    expect((await store.list()).map((r) => [r.name, r.origin, r.added])).toEqual([['cat.webp', 'snapshot', 5]]);

    const broken = bundle.subarray(0, 100);
    expect((await store.importFile('cut.json', broken.length, reader(broken).read))[0]!.message).toBe(
      'cut.json: not a readable ConvLens gallery file (the JSON is damaged or cut off)',
    );
    const unreadable = await store.importFile('gone.png', 10, () => Promise.reject(new Error('the file was moved')));
    expect(unreadable[0]!.message).toBe('gone.png: could not be read (the file was moved)');
  });

  it('export → remove all → import restores the same pictures; forgetting snapshots keeps imports', async () => {
    const store = new GalleryStore(new MemoryImageRecords());
    await store.add('rocket.jpg', bundled('rocket.jpg'), 'import', 1);
    await store.add('snapshot 1', bundled('clock_motion.png'), 'snapshot', 2);
    await store.add('cat.gif', fixture('chelsea-64.gif'), 'import', 3);
    const before = await store.list();
    const bundle = await store.exportBundle();
    expect(decodeBundle('x', bundle).images).toHaveLength(3);

    await store.remove(before.map((r) => r.id));
    expect(await store.list()).toEqual([]);
    const outcomes = await store.importBundle('gallery.json', bundle);
    expect(outcomes.map((o) => o.status)).toEqual(['stored', 'stored', 'stored']);
    expect(await store.list()).toEqual(before);

    expect(await store.forgetSnapshots()).toEqual([before[1]!.id]);
    expect((await store.list()).map((r) => r.name)).toEqual(['rocket.jpg', 'cat.gif']);
    expect(await store.forgetSnapshots()).toEqual([]);
  });
});
