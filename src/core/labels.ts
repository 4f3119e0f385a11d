import { IMAGENET_CLASSES } from '@tensorflow-models/mobilenet/dist/imagenet_classes';
import { InvalidInputError } from './errors';

/** Number of ImageNet classes the MobileNet head predicts (no background class). */
export const NUM_CLASSES = 1000;

/** The 1000 ImageNet labels in the bundled MobileNet's output order, as shipped by @tensorflow-models/mobilenet. */
export const IMAGENET_LABELS: readonly string[] = Array.from({ length: NUM_CLASSES }, (_, i) => (IMAGENET_CLASSES as Record<number, string>)[i]!);

/** Human-readable ImageNet label of class `index` (0..999), as shipped by @tensorflow-models/mobilenet. */
export function classLabel(index: number): string {
  const label = IMAGENET_LABELS[index];
  if (label === undefined) throw new InvalidInputError(`class index ${index} is out of range 0..${NUM_CLASSES - 1}`);
  return label;
}

/** Checks that `index` names a class; throws a RangeError with a readable message otherwise. */
export function assertClassIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= NUM_CLASSES) {
    throw new InvalidInputError(`class index ${index} is out of range 0..${NUM_CLASSES - 1}`);
  }
}

/** Finds classes whose label contains `query` (case-insensitive), for class pickers. */
export function searchClasses(query: string, limit = 20): { index: number; label: string }[] {
  const q = query.trim().toLowerCase();
  const out: { index: number; label: string }[] = [];
  for (let i = 0; i < NUM_CLASSES && out.length < limit; i++) {
    const label = classLabel(i);
    if (label.toLowerCase().includes(q)) out.push({ index: i, label });
  }
  return out;
}

/**
 * Labels of a model with `count` outputs when nothing names them: the ImageNet labels for 1000 outputs (the bundled
 * MobileNet and other ImageNet classifiers), otherwise "class 0", "class 1", ….
 */
export function defaultLabels(count: number): readonly string[] {
  return count === NUM_CLASSES ? IMAGENET_LABELS : Array.from({ length: count }, (_, i) => `class ${i}`);
}

/**
 * Class labels from a file a user brings, in the model's output order: a Teachable Machine `metadata.json`
 * (`{"labels": [...]}`), a JSON array of strings, a JSON object of index → label (`{"0": "cat", ...}`, Keras'
 * class_indices inverted), or plain text with one label per line. Throws InvalidInputError (one line) for anything
 * else, for empty labels, or when `count` is given and the number of labels differs.
 */
export function parseLabels(text: string, count?: number): string[] {
  let labels: unknown;
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (err) {
      throw new InvalidInputError(`the labels file is not valid JSON: ${(err as Error).message}`);
    }
    if (Array.isArray(json)) labels = json;
    else if (json !== null && typeof json === 'object' && Array.isArray((json as { labels?: unknown }).labels)) labels = (json as { labels: unknown[] }).labels;
    else if (json !== null && typeof json === 'object') {
      const entries = Object.entries(json as Record<string, unknown>);
      if (!entries.every(([k]) => /^\d+$/.test(k))) throw new InvalidInputError('the labels file has neither a "labels" list nor index → label entries');
      const out: unknown[] = [];
      for (const [k, v] of entries) out[Number(k)] = v;
      labels = out;
    }
  } else {
    labels = trimmed.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  }
  const list = labels as unknown[];
  if (list.length === 0) throw new InvalidInputError('the labels file names no classes');
  for (let i = 0; i < list.length; i++) {
    if (typeof list[i] !== 'string' || (list[i] as string).trim() === '') throw new InvalidInputError(`label ${i} in the labels file is missing or not a string`);
  }
  if (count !== undefined && list.length !== count) throw new InvalidInputError(`the labels file names ${list.length} classes but the model has ${count} outputs`);
  return list as string[];
}

/**
 * Finds the classes of `labels` (any model's, in output order) whose label contains `query` (case-insensitive,
 * trimmed), first `limit` in output order: the class pickers of the app for the model in use.
 */
export function searchLabels(labels: readonly string[], query: string, limit = 20): { index: number; label: string }[] {
  const q = query.trim().toLowerCase();
  const out: { index: number; label: string }[] = [];
  for (let i = 0; i < labels.length && out.length < limit; i++) {
    if (labels[i]!.toLowerCase().includes(q)) out.push({ index: i, label: labels[i]! });
  }
  return out;
}
