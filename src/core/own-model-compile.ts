import * as tf from '@tensorflow/tfjs';
import { ConvLensError, InvalidInputError, ModelLoadError } from './errors';
import { ConvNet } from './network';
import { type OwnModelInfo, type OwnModelRecord, type OwnModelUpload, oneLine } from './own-model';

/**
 * The parts of "Your own model" that need TensorFlow.js and the model adapter (the worker's side); the file checks
 * in own-model.ts stay free of them, so the app's main bundle does not carry TensorFlow.js.
 */

/**
 * Compiles a checked model with the model adapter (ConvNet: every layer supported, a softmax or logits head) on
 * the active backend and names its classes. Resolves to the network (the caller owns and disposes it) and what the
 * app lists about it. Throws ModelLoadError (TensorFlow.js cannot build it, or a layer ConvLens cannot compile) or
 * InvalidInputError (labels that do not fit), one line each, the file named.
 */
export async function compileOwnModel(upload: OwnModelUpload, added = Date.now()): Promise<{ net: ConvNet; info: OwnModelInfo }> {
  let net: ConvNet;
  // TensorFlow.js leaves the weights of the layers it built before a failing one (an unknown class) registered:
  // those made during this load are released when it fails.
  const variablesBefore = new Set(Object.keys(tf.engine().registeredVariables));
  try {
    net = await ConvNet.load(tf.io.fromMemory({ modelTopology: upload.modelTopology, weightSpecs: upload.weightSpecs, weightData: upload.weightData }), { input: upload.input });
  } catch (err) {
    for (const [name, variable] of Object.entries(tf.engine().registeredVariables)) if (!variablesBefore.has(name) && !variable.isDisposed) variable.dispose();
    const message = oneLine(err instanceof ConvLensError ? err.message.replace(/^could not load the model from the given model files: /, '') : String((err as Error).message ?? err));
    throw new ModelLoadError(`model.json: ${message}`);
  }
  try {
    if (upload.labels) {
      try {
        net.setLabels(upload.labels);
      } catch (err) {
        throw new InvalidInputError(`${upload.labelsFile ?? 'labels'}: ${(err as Error).message}`);
      }
    }
    const info: OwnModelInfo = { name: upload.name, numClasses: net.numClasses, inputSize: net.inputSize, bytes: upload.weightData.byteLength, labels: [...net.labels], input: upload.input, added };
    return { net, info };
  } catch (err) {
    net.dispose();
    throw err;
  }
}

/** Loads a stored model with its labels and input range (ModelLoadError, one line, when it no longer compiles). */
export function loadOwnModel(record: OwnModelRecord): Promise<ConvNet> {
  return ConvNet.load(tf.io.fromMemory({ modelTopology: record.modelTopology, weightSpecs: record.weightSpecs, weightData: record.weightData }), { input: record.input, labels: record.labels });
}
