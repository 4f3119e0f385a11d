import { InvalidInputError } from './errors';

/*
 * Teach mode's classes, free of TensorFlow.js so the page can check them without loading it (src/core/teach.ts
 * trains; it re-exports these).
 */

/** How many classes and examples Teach mode takes (the app's panel and the worker check them). */
export const TEACH_LIMITS = Object.freeze({
  minClasses: 2,
  maxClasses: 4,
  /** Captured frames kept per class (a few seconds of holding the button at the capture rate). */
  maxExamplesPerClass: 300,
  /** Characters of a class name. */
  maxNameLength: 24,
});

/**
 * The class names a visitor typed, checked: TEACH_LIMITS.minClasses to maxClasses names, each 1 to maxNameLength
 * characters after trimming, no two alike (ignoring case). Returns the trimmed names; InvalidInputError (one line)
 * otherwise.
 */
export function checkClassNames(classes: readonly string[]): string[] {
  const names = classes.map((c) => c.trim());
  if (names.length < TEACH_LIMITS.minClasses || names.length > TEACH_LIMITS.maxClasses) {
    throw new InvalidInputError(`Teach mode takes ${TEACH_LIMITS.minClasses} to ${TEACH_LIMITS.maxClasses} classes, got ${names.length}`);
  }
  names.forEach((name, i) => {
    if (name.length === 0) throw new InvalidInputError(`class ${i + 1} has no name`);
    if (name.length > TEACH_LIMITS.maxNameLength) throw new InvalidInputError(`the name of class ${i + 1} is longer than ${TEACH_LIMITS.maxNameLength} characters`);
    const twin = names.findIndex((other) => other.toLowerCase() === name.toLowerCase());
    if (twin !== i) throw new InvalidInputError(`classes ${twin + 1} and ${i + 1} are both called '${name}': give each its own name`);
  });
  return names;
}
