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

/**
 * Thrown by ConvNet for a layer name the model does not have; the message suggests up to five known names that
 * contain it (or that it contains) and points to the `layers` command.
 */
export class UnknownLayerError extends ConvLensError {
  constructor(name: string, known: readonly string[]) {
    const near = known.filter((k) => k.includes(name) || name.includes(k)).slice(0, 5);
    super(`unknown layer '${name}'${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; run 'layers' to list them`);
  }
}

/**
 * Bad input from the user or caller (out-of-range option, unreadable image, wrong shape): the message is one line,
 * ready to show as it is.
 */
export class InvalidInputError extends ConvLensError {}

/**
 * The model could not be loaded: model.json or a weight file missing, corrupt or of the wrong size
 * (src/node/model-files.ts), a model TensorFlow.js cannot load or one without a softmax head and global pooling
 * (ConvNet.load); ModelFileError for a file that fails verified loading. The message names the file or URL.
 */
export class ModelLoadError extends ConvLensError {}
