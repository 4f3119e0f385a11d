import type * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from './errors';
import type { InputSpec } from './graph';
import { parseLabels } from './labels';
import { isModelId } from './models';

/**
 * "Your own model" (issue 12) in the app, DOM-free: the files a user drops (a layers-format model.json, the weight
 * file(s) its manifest names, optionally Teachable Machine's metadata.json or a labels file) checked before anything
 * is stored, and compiled the way the inference worker compiles them. Every problem is one line naming the file,
 * in the style of the gallery's checks (src/core/gallery/validate.ts).
 */

/** A file as the user gave it: its name (no folder) and its bytes. */
export interface DroppedFile {
  name: string;
  bytes: Uint8Array;
}

/**
 * A checked model, ready to compile and store: the topology and weight specs of model.json, all weight files
 * concatenated in manifest order (weightData), labels when a labels file came with it, and how it reads pixels.
 */
export interface OwnModelUpload {
  /** What `?model=` calls it: a lower-case slug (OWN_MODEL_NAME), never a bundled model's id. */
  name: string;
  modelTopology: tf.io.ModelArtifacts['modelTopology'];
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
  /** From metadata.json (Teachable Machine), a JSON list / index map or a text file with one label per line. */
  labels?: string[];
  /** Which file the labels came from. */
  labelsFile?: string;
  /** The model's input value range and channel order (default [−1, 1] RGB, MobileNet's and Teachable Machine's). */
  input: InputSpec;
}

/** What the app lists about a stored model (no weights). */
export interface OwnModelInfo {
  name: string;
  /** Outputs of the classifier. */
  numClasses: number;
  /** The model's square input side, pixels. */
  inputSize: number;
  /** Bytes of weights. */
  bytes: number;
  /** Labels in output order (net.labels: from the labels file, else "class N" or ImageNet's for 1000 outputs). */
  labels: string[];
  input: InputSpec;
  /** Milliseconds since the epoch when it was stored. */
  added: number;
}

/** What a stored model's record holds: its info and the artifacts it is rebuilt from. */
export interface OwnModelRecord extends OwnModelInfo {
  modelTopology: tf.io.ModelArtifacts['modelTopology'];
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

/** Names a stored model may have: 1–40 lower-case letters, digits, '-' or '_', starting with a letter or digit. */
export const OWN_MODEL_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;

/** Largest total of files accepted (bytes): 200 MB, beyond any classifier the browser can run live. */
export const MAX_OWN_MODEL_BYTES = 200 * 1024 * 1024;

/** Whether `value` can name a stored model (OWN_MODEL_NAME, and not 'standard' or 'lite'). */
export function isOwnModelName(value: string): boolean {
  return OWN_MODEL_NAME.test(value) && !isModelId(value);
}

/**
 * A model's name from the text the user gave it (Teachable Machine's modelName, a file name): lower case, runs of
 * other characters turned into '-', at most 40 characters; `fallback` when nothing is left; '-own' appended to a
 * bundled model's id.
 */
export function ownModelName(wanted: string | undefined, fallback = 'my-model'): string {
  const slug = (wanted ?? '').toLowerCase().replace(/[^a-z0-9_]+/g, '-').replace(/^[-_]+|-+$/g, '').slice(0, 40).replace(/-+$/, '');
  const name = slug.length > 0 ? slug : fallback;
  return isModelId(name) ? `${name}-own` : name;
}

/** Bytes per stored value of a weight: its quantisation's (uint8 1, uint16 / float16 2) or its dtype's (4). */
export function bytesPerValue(w: tf.io.WeightsManifestEntry): number {
  const stored = w.quantization?.dtype ?? w.dtype;
  return stored === 'uint8' || stored === 'bool' ? 1 : stored === 'uint16' || stored === 'float16' ? 2 : 4;
}

/** A message on one line (newlines and their indentation become one space). */
export const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').trim();
const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const baseName = (path: string): string => path.split(/[\\/]/).pop() ?? path;

interface ModelJson {
  format?: unknown;
  modelTopology?: unknown;
  weightsManifest?: unknown;
}

/**
 * Checks the files of one model before anything is stored or compiled, and puts them together. model.json is the
 * file so named (else the one JSON file with a modelTopology); it must parse, be a layers model (not a graph model)
 * and name weight files that are all among `files` (matched by their base name), each manifest group exactly as
 * many bytes as its weights need (4 per float32, 2 per float16/uint16, 1 per uint8). A `metadata.json` (Teachable
 * Machine), `labels.json` or `*.txt` among the files gives the labels (parseLabels; their count is checked against
 * the model when it is compiled). The name: `name` if given, else metadata.json's modelName, else 'my-model'.
 * Throws InvalidInputError with one line naming the file for anything wrong.
 */
export function checkModelFiles(files: readonly DroppedFile[], options: { name?: string; input?: InputSpec } = {}): OwnModelUpload {
  if (files.length === 0) throw new InvalidInputError('no files: drop model.json together with its weight file(s)');
  const total = files.reduce((n, f) => n + f.bytes.byteLength, 0);
  if (total > MAX_OWN_MODEL_BYTES) throw new InvalidInputError(`too large: ${(total / 1048576).toFixed(0)} MB of files (the limit is ${MAX_OWN_MODEL_BYTES / 1048576} MB)`);
  const byName = new Map(files.map((f) => [baseName(f.name), f]));
  let modelFile = byName.get('model.json');
  if (!modelFile) {
    const jsons = files.filter((f) => f.name.endsWith('.json') && decode(f.bytes.subarray(0, 4096)).includes('"modelTopology"'));
    if (jsons.length === 1) modelFile = jsons[0];
  }
  if (!modelFile) throw new InvalidInputError(`no model.json among ${files.map((f) => baseName(f.name)).join(', ')}: drop model.json together with its weight file(s)`);
  const modelName = baseName(modelFile.name);
  let json: ModelJson;
  try {
    json = JSON.parse(decode(modelFile.bytes)) as ModelJson;
  } catch (err) {
    throw new InvalidInputError(`${modelName}: not JSON (${oneLine((err as Error).message)})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new InvalidInputError(`${modelName}: not a TensorFlow.js model (a JSON ${Array.isArray(json) ? 'list' : typeof json}, not an object)`);
  if (json.format === 'graph-model') {
    throw new InvalidInputError(`${modelName}: a TensorFlow.js graph model; only layers models can be explained (convert Keras with tensorflowjs_converter --input_format keras)`);
  }
  if (json.modelTopology === undefined || json.modelTopology === null || !Array.isArray(json.weightsManifest)) {
    throw new InvalidInputError(`${modelName}: not a TensorFlow.js layers model (no modelTopology or weightsManifest)`);
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  const missing: string[] = [];
  for (const group of json.weightsManifest as unknown[]) {
    const g = group as Partial<tf.io.WeightsManifestConfig[number]>;
    if (!Array.isArray(g.paths) || !Array.isArray(g.weights)) throw new InvalidInputError(`${modelName}: damaged weightsManifest (a group without paths or weights)`);
    const groupFiles: DroppedFile[] = [];
    for (const path of g.paths) {
      const file = byName.get(baseName(String(path)));
      if (file) groupFiles.push(file);
      else missing.push(baseName(String(path)));
    }
    if (missing.length > 0) continue;
    const have = groupFiles.reduce((n, f) => n + f.bytes.byteLength, 0);
    const need = g.weights.reduce((n, w) => n + bytesPerValue(w) * w.shape.reduce((a, b) => a * b, 1), 0);
    if (have !== need) {
      throw new InvalidInputError(`${g.paths.map((p) => baseName(String(p))).join(', ')}: ${have} bytes, but ${modelName} says ${need} (a damaged or mismatched weight file)`);
    }
    weightSpecs.push(...g.weights);
    buffers.push(...groupFiles.map((f) => f.bytes));
  }
  if (missing.length > 0) {
    throw new InvalidInputError(`missing weight file${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: ${modelName} names ${missing.length > 1 ? 'them' : 'it'}; drop ${missing.length > 1 ? 'them' : 'it'} together with ${modelName}`);
  }
  const weightData = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of buffers) {
    weightData.set(b, offset);
    offset += b.byteLength;
  }
  const labelsFile = ['metadata.json', 'labels.json', 'labels.txt'].map((n) => byName.get(n)).find((f) => f !== undefined) ?? files.find((f) => f.name.endsWith('.txt'));
  let labels: string[] | undefined;
  let metaName: string | undefined;
  if (labelsFile) {
    const text = decode(labelsFile.bytes);
    try {
      labels = parseLabels(text);
    } catch (err) {
      throw new InvalidInputError(`${baseName(labelsFile.name)}: ${(err as Error).message}`);
    }
    if (text.trim().startsWith('{')) {
      const meta = JSON.parse(text) as { modelName?: unknown };
      if (typeof meta.modelName === 'string') metaName = meta.modelName;
    }
  }
  return {
    name: options.name !== undefined ? ownModelName(options.name) : ownModelName(metaName),
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs,
    weightData: weightData.buffer,
    ...(labels ? { labels, labelsFile: baseName(labelsFile!.name) } : {}),
    input: options.input ?? { range: [-1, 1], channels: 'rgb' },
  };
}

/** A stored model's record from a checked upload and its compiled info. */
export function ownModelRecord(upload: OwnModelUpload, info: OwnModelInfo): OwnModelRecord {
  return { ...info, modelTopology: upload.modelTopology, weightSpecs: upload.weightSpecs, weightData: upload.weightData };
}


/** The info part of a record (what the page lists), without the weights. */
export function ownModelInfo(record: OwnModelRecord): OwnModelInfo {
  const { name, numClasses, inputSize, bytes, labels, input, added } = record;
  return { name, numClasses, inputSize, bytes, labels, input, added };
}
