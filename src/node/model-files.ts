import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInputError, ModelLoadError } from '../core/errors';
import { parseLabels } from '../core/labels';
import { type ModelId, modelJsonPath } from '../core/models';
import { ConvNet, type InputSpec } from '../core/network';

/** Where set-up puts the models (see scripts/setup-models.mjs); CONVLENS_MODELS_DIR overrides it. */
export function modelsRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(process.env['CONVLENS_MODELS_DIR'] ?? join(here, '..', '..', 'public', 'models'));
}

/** An IOHandler that reads a layers-format model.json and its weight shards from disk. */
export function fileModelHandler(modelJson: string): tf.io.IOHandler {
  return {
    load: async () => {
      if (!existsSync(modelJson)) {
        throw new ModelLoadError(`model file not found: ${modelJson} (run 'npm run setup' first)`);
      }
      let json: { modelTopology?: unknown; weightsManifest?: tf.io.WeightsManifestConfig };
      try {
        json = JSON.parse(readFileSync(modelJson, 'utf8')) as typeof json;
      } catch (err) {
        throw new ModelLoadError(`corrupt model file ${modelJson}: ${(err as Error).message}`);
      }
      if (json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
        throw new ModelLoadError(`corrupt model file ${modelJson}: no modelTopology or weightsManifest`);
      }
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Uint8Array[] = [];
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights);
        let groupBytes = 0;
        for (const path of group.paths) {
          const file = join(dirname(modelJson), path);
          if (!existsSync(file)) throw new ModelLoadError(`missing weight file: ${file}`);
          const bytes = readFileSync(file);
          groupBytes += bytes.byteLength;
          buffers.push(bytes);
        }
        const expected = group.weights.reduce((n, w) => n + bytesPerValue(w) * w.shape.reduce((a, b) => a * b, 1), 0);
        if (groupBytes !== expected) {
          throw new ModelLoadError(`corrupt weight file ${group.paths.join(', ')}: ${groupBytes} bytes, expected ${expected}`);
        }
      }
      const total = buffers.reduce((n, b) => n + b.byteLength, 0);
      const weightData = new Uint8Array(total);
      let offset = 0;
      for (const b of buffers) {
        weightData.set(b, offset);
        offset += b.byteLength;
      }
      return { modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'], weightSpecs, weightData: weightData.buffer };
    },
  };
}

/** Bytes per stored value of a weight: its quantisation's (uint8 1, uint16 / float16 2) or its dtype's. */
function bytesPerValue(w: tf.io.WeightsManifestEntry): number {
  const stored = w.quantization?.dtype ?? w.dtype;
  return stored === 'uint8' || stored === 'bool' ? 1 : stored === 'uint16' || stored === 'float16' ? 2 : 4;
}

/** Loads a bundled model ('standard' or 'lite') from public/models. */
export function loadModel(id: ModelId, root = modelsRoot()): Promise<ConvNet> {
  return ConvNet.load(fileModelHandler(join(root, modelJsonPath(id))));
}

/**
 * Loads a user's layers-format model (model.json with its weight files beside it, e.g. a Teachable Machine or
 * tensorflowjs_converter export). Labels: `labelsFile` (metadata.json, a JSON list or one label per line), else a
 * metadata.json beside model.json (Teachable Machine's), else "class N". Throws ModelLoadError (unreadable files,
 * unsupported layers) or InvalidInputError (labels that do not fit the model) with one line.
 */
export async function loadUserModel(modelJson: string, options: { input?: InputSpec; labelsFile?: string } = {}): Promise<ConvNet> {
  const path = resolve(modelJson);
  const net = await ConvNet.load(fileModelHandler(path), options.input === undefined ? {} : { input: options.input });
  try {
    const beside = join(dirname(path), 'metadata.json');
    const labelsPath = options.labelsFile ?? (existsSync(beside) ? beside : undefined);
    if (labelsPath !== undefined) {
      if (!existsSync(labelsPath)) throw new InvalidInputError(`labels file not found: ${labelsPath}`);
      net.setLabels(parseLabels(readFileSync(labelsPath, 'utf8'), net.numClasses));
    }
    return net;
  } catch (err) {
    net.dispose();
    throw err;
  }
}
