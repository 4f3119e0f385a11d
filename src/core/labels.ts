import { IMAGENET_CLASSES } from '@tensorflow-models/mobilenet/dist/imagenet_classes';
import { InvalidInputError } from './errors';

/** Number of ImageNet classes the MobileNet head predicts (no background class). */
export const NUM_CLASSES = 1000;

/** Human-readable ImageNet label of class `index` (0..999), as shipped by @tensorflow-models/mobilenet. */
export function classLabel(index: number): string {
  const label = (IMAGENET_CLASSES as Record<number, string>)[index];
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
