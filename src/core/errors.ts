/**
 * Errors the core throws for bad input. Each carries a one-line, user-facing message, so the CLI and the UI can
 * show it as it is (no stack trace needed to understand what went wrong).
 */
export class ConvLensError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class UnknownLayerError extends ConvLensError {
  constructor(name: string, known: readonly string[]) {
    const near = known.filter((k) => k.includes(name) || name.includes(k)).slice(0, 5);
    super(`unknown layer '${name}'${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; run 'layers' to list them`);
  }
}

export class InvalidInputError extends ConvLensError {}

export class ModelLoadError extends ConvLensError {}
