import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors';
import { type ConvNet, type Taps, disposeTaps } from '../network';
import { imageToModelInput } from '../preprocess';
import { type FeatureCache, type StoredActivation, elementCount } from './feature-cache';
import { type GalleryEntry, type SkipHandler, type SkippedImage, sha256, skipReason, toHex } from './gallery';

/**
 * Part of every model key: bump it when the way features are computed changes (preprocessing, fit mode), so
 * caches written by older code are not read as current.
 */
export const FEATURE_FORMAT = 'convlens-features/1;fit=stretch';

const modelKeys = new WeakMap<ConvNet, Promise<string>>();

/**
 * Fingerprint of a loaded model: SHA-256 over the topology and every weight value (and FEATURE_FORMAT). Any
 * retrained, re-quantised or swapped model gets a different key, whatever its file name.
 */
export function modelKey(net: ConvNet): Promise<string> {
  let key = modelKeys.get(net);
  if (!key) {
    key = computeModelKey(net);
    modelKeys.set(net, key);
  }
  return key;
}

async function computeModelKey(net: ConvNet): Promise<string> {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [encoder.encode(FEATURE_FORMAT), encoder.encode(JSON.stringify(net.reference.toJSON(null, false)))];
  for (const variable of net.reference.weights) {
    // read() is the variable's own tensor (not a copy): nothing to dispose.
    const values = await variable.read().data();
    parts.push(encoder.encode(variable.name), new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return toHex(await sha256(parts)).slice(0, 16);
}

/** Counters over an extractor's lifetime (what the cache saved, how many passes ran). */
export interface ExtractStats {
  /** Images served entirely from the cache. */
  cached: number;
  /** Images that went through the network. */
  computed: number;
  /** Images that could not be read (not decodable, too large …) and were left out. */
  skipped: number;
  /** Batched forward passes run. */
  forwardPasses: number;
}

/** Per-run options of a FeatureExtractor run: callbacks and cancellation. */
export interface ExtractRunOptions {
  /** Called once per image that cannot be read; the run goes on without it. */
  onSkip?: SkipHandler;
  /** Called after each batch with the number of entries handled so far. */
  onProgress?: (done: number, total: number) => void;
  /** Stops the run between batches (the signal's own reason is thrown, via AbortSignal.throwIfAborted). */
  signal?: AbortSignal;
}

/** Options of a FeatureExtractor: its cache and batch size. */
export interface ExtractorOptions {
  /** Where activations are looked up first and stored after computing (default: none, everything is computed). */
  cache?: FeatureCache;
  /** Images per forward pass (default 8): fewer, larger kernels are faster than one pass per image. */
  batchSize?: number;
}

/** One image's activations at the requested layers (shapes without the batch dimension). */
export interface Extracted {
  entry: GalleryEntry;
  values: Record<string, StoredActivation>;
}

/** Pooled feature vectors of the images that could be read, in gallery order. */
export interface FeatureSet {
  layer: string;
  entries: GalleryEntry[];
  vectors: Float32Array[];
  skipped: SkippedImage[];
}

/**
 * Computes activations of gallery images with one model, batching images through the network and going through
 * the cache first: an image whose every requested layer is cached is neither decoded nor run.
 */
export class FeatureExtractor {
  readonly stats: ExtractStats = { cached: 0, computed: 0, skipped: 0, forwardPasses: 0 };
  readonly batchSize: number;
  private readonly cache: FeatureCache | undefined;

  constructor(
    readonly net: ConvNet,
    { cache, batchSize = 8 }: ExtractorOptions = {},
  ) {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidInputError(`batch size must be a positive integer, got ${batchSize}`);
    this.cache = cache;
    this.batchSize = batchSize;
  }

  /** Checks that each layer exists and can be tapped; returns the expected shapes. */
  private shapes(layers: readonly string[]): number[][] {
    if (layers.length === 0) throw new InvalidInputError('no layer requested');
    return layers.map((name) => {
      const info = this.net.layer(name);
      if (!this.net.hasLayer(name)) throw new InvalidInputError(`layer '${name}' (${info.className}) has no activations to extract`);
      return info.outputShape;
    });
  }

  /**
   * Activations at `layers` for each readable entry, yielded in gallery order. Cache misses are gathered into
   * full batches across the gallery (a mostly cached gallery still runs few, full passes); hits wait for the
   * misses before them only up to a bound, so memory stays small however the two interleave.
   */
  async *activations(entries: readonly GalleryEntry[], layers: readonly string[], options: ExtractRunOptions = {}): AsyncGenerator<Extracted> {
    const shapes = this.shapes(layers);
    const model = await modelKey(this.net);
    interface Slot {
      entry: GalleryEntry;
      result: Extracted | undefined;
      done: boolean;
    }
    const pending: Slot[] = [];
    let queue: Slot[] = [];
    let handled = 0;
    const maxPending = 4 * this.batchSize;
    const flush = async (): Promise<void> => {
      if (queue.length === 0) return;
      const batch = queue;
      queue = [];
      const computed = await this.compute(
        model,
        batch.map((slot) => slot.entry),
        layers,
        options.onSkip,
      );
      batch.forEach((slot, i) => {
        slot.result = computed[i];
        slot.done = true;
      });
    };
    for (let i = 0; i <= entries.length; i++) {
      options.signal?.throwIfAborted();
      const entry = entries[i];
      if (entry === undefined) {
        await flush();
      } else {
        const hit = await this.lookup(model, entry, layers, shapes);
        const slot: Slot = { entry, result: hit, done: hit !== undefined };
        pending.push(slot);
        if (hit) this.stats.cached++;
        else queue.push(slot);
        if (queue.length >= this.batchSize || pending.length >= maxPending) await flush();
      }
      const before = handled;
      while (pending[0]?.done) {
        const slot = pending.shift()!;
        handled++;
        if (slot.result) yield slot.result;
      }
      if (handled !== before) options.onProgress?.(handled, entries.length);
    }
  }

  /** The pooled feature vector (the global-average-pooling output) of every readable entry. */
  async features(entries: readonly GalleryEntry[], options: ExtractRunOptions = {}): Promise<FeatureSet> {
    const layer = this.net.featuresLayer;
    const set: FeatureSet = { layer, entries: [], vectors: [], skipped: [] };
    const onSkip: SkipHandler = (s) => {
      set.skipped.push(s);
      options.onSkip?.(s);
    };
    for await (const item of this.activations(entries, [layer], { ...options, onSkip })) {
      set.entries.push(item.entry);
      set.vectors.push(item.values[layer]!.data);
    }
    return set;
  }

  private async lookup(model: string, entry: GalleryEntry, layers: readonly string[], shapes: number[][]): Promise<Extracted | undefined> {
    if (!this.cache || entry.transient) return undefined;
    const values: Record<string, StoredActivation> = {};
    for (let l = 0; l < layers.length; l++) {
      const hit = await this.cache.get({ model, image: entry.id, layer: layers[l]! });
      // A shape that disagrees with the layer means a damaged or foreign entry: recompute rather than trust it.
      const expected = shapes[l]!;
      if (!hit || hit.shape.length !== expected.length || hit.shape.some((d, i) => d !== expected[i]) || hit.data.length !== elementCount(expected)) {
        return undefined;
      }
      values[layers[l]!] = hit;
    }
    return { entry, values };
  }

  /** Decodes, batches and runs the given entries; unreadable ones are reported and come back undefined. */
  private async compute(model: string, entries: readonly GalleryEntry[], layers: readonly string[], onSkip: SkipHandler | undefined): Promise<(Extracted | undefined)[]> {
    const inputs: (tf.Tensor4D | undefined)[] = [];
    for (const entry of entries) {
      try {
        const image = await entry.decode();
        // Resized where the forward pass runs (a WASM twin's backend on CPU kiosks).
        inputs.push(this.net.onForwardBackend(() => imageToModelInput(image, 'stretch', this.net.inputSize).tensor));
      } catch (err) {
        // Any decode failure belongs to that one image (broken file, unsupported format): report it, go on.
        this.stats.skipped++;
        onSkip?.({ name: entry.name, reason: skipReason(err) });
        inputs.push(undefined);
      }
    }
    const present = inputs.filter((t): t is tf.Tensor4D => t !== undefined);
    const out: (Extracted | undefined)[] = entries.map(() => undefined);
    if (present.length === 0) return out;
    const featuresLayer = this.net.featuresLayer;
    const tapped = layers.filter((l) => l !== featuresLayer);
    const batch = present.length === 1 ? present[0]! : this.net.onForwardBackend(() => tf.concat(present, 0));
    let taps: Taps;
    try {
      taps = this.net.run(batch, { layers: tapped, features: tapped.length !== layers.length });
      this.stats.forwardPasses++;
    } finally {
      tf.dispose(present);
      if (batch !== present[0]) batch.dispose();
    }
    const perLayer: Record<string, Float32Array> = {};
    try {
      for (const layer of layers) {
        const tensor = layer === featuresLayer ? taps.features! : taps.activations[layer]!;
        perLayer[layer] = (await tensor.data()) as Float32Array;
      }
    } finally {
      disposeTaps(taps);
    }
    let row = 0;
    for (let i = 0; i < entries.length; i++) {
      if (inputs[i] === undefined) continue;
      const values: Record<string, StoredActivation> = {};
      for (const layer of layers) {
        const shape = this.net.layer(layer).outputShape;
        const size = elementCount(shape);
        values[layer] = { shape: [...shape], data: perLayer[layer]!.slice(row * size, (row + 1) * size) };
        if (!entries[i]!.transient) await this.cache?.set({ model, image: entries[i]!.id, layer }, values[layer]);
      }
      out[i] = { entry: entries[i]!, values };
      this.stats.computed++;
      row++;
    }
    return out;
  }
}
