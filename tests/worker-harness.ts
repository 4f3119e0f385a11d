import * as tf from '@tensorflow/tfjs';
import { MemoryFeatureCache } from '../src/core/gallery/feature-cache';
import type { RgbaImage } from '../src/core/preprocess';
import { bundledGalleryDir, readGalleryDir } from '../src/node/gallery-files';
import { loadModel } from '../src/node/model-files';
import { isModelId } from '../src/core/models';
import { ModelLoadError } from '../src/core/errors';
import { type OwnModelRecord, ownModelRecord } from '../src/core/own-model';
import { compileOwnModel, loadOwnModel } from '../src/core/own-model-compile';
import { type HandlerEnvironment, createInferenceHandler } from '../workers/inference-handler';
import type { WorkerResponse } from '../workers/protocol';

/**
 * The worker's handler with a Node environment (CPU backend, models from disk, RGBA frames; own models stored in
 * memory, compiled as the browser's worker compiles them).
 */
export function workerHarness(extra: Partial<HandlerEnvironment> = {}) {
  const replies: WorkerResponse[] = [];
  const ownModels = new Map<string, OwnModelRecord>();
  let closed = 0;
  const handle = createInferenceHandler({
    chooseBackend: async () => {
      await tf.setBackend('cpu');
      return 'cpu';
    },
    loadNet: async (model) => {
      if (isModelId(model)) return loadModel(model);
      const record = ownModels.get(model);
      if (!record) throw new ModelLoadError(`no model named "${model}" is stored`);
      return loadOwnModel(record);
    },
    storeOwnModel: async (upload) => {
      const { net, info } = await compileOwnModel(upload);
      net.dispose();
      ownModels.set(info.name, ownModelRecord(upload, info));
      return info;
    },
    toPixels: (image) => tf.browser.fromPixels(image as ImageData),
    toRgba: (image) => image as RgbaImage,
    loadGallery: () => readGalleryDir(bundledGalleryDir()),
    featureCache: new MemoryFeatureCache(),
    closeImage: () => void closed++,
    post: (message) => void replies.push(message),
    ...extra,
  });
  const waitFor = async (pred: (r: WorkerResponse) => boolean, ms = 60_000): Promise<WorkerResponse> => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const hit = replies.find(pred);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no such reply');
  };
  return { replies, handle, waitFor, closed: () => closed };
}

