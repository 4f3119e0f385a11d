/** The two bundled networks. Both are ImageNet MobileNet v1 at 224×224 in TensorFlow.js layers format. */
export const MODEL_IDS = ['standard', 'lite'] as const;
/**
 * One of MODEL_IDS: 'standard' (MobileNet v1 width 0.75, 325 M multiply-adds) or 'lite' (width 0.25, 41 M;
 * Howard et al. 2017, table 6).
 */
export type ModelId = (typeof MODEL_IDS)[number];

/** Where a bundled model's files live and its MobileNet width multiplier (Howard et al. 2017). */
export interface ModelDescriptor {
  /** The model's id, the key it has in MODELS. */
  id: ModelId;
  /** Folder under public/models/ (and under the official TensorFlow.js model URL). */
  dir: string;
  /**
   * MobileNet v1 width multiplier α: 0.75 (standard) or 0.25 (lite); channel counts are α × those of the full
   * network.
   */
  width: number;
}

/**
 * The descriptor of each bundled model, by id (public/models/<dir>/model.json, weights pinned in
 * scripts/models.sha256).
 */
export const MODELS: Record<ModelId, ModelDescriptor> = {
  standard: { id: 'standard', dir: 'mobilenet_v1_0.75_224', width: 0.75 },
  lite: { id: 'lite', dir: 'mobilenet_v1_0.25_224', width: 0.25 },
};

/**
 * Whether `value` is a model id ('standard' or 'lite'); a type guard for the page's ?model= parameter and the kiosk
 * config.
 */
export function isModelId(value: string): value is ModelId {
  return (MODEL_IDS as readonly string[]).includes(value);
}

/** Relative path of a model's model.json below the models root (a URL prefix or a folder). */
export function modelJsonPath(id: ModelId): string {
  return `${MODELS[id].dir}/model.json`;
}

/**
 * A model the app or worker runs: a bundled one's id (ModelId) or the name of a model the user stored in this
 * browser ("Your own model", src/core/own-model.ts: a lower-case slug, never 'standard' or 'lite').
 */
export type ModelName = ModelId | (string & Record<never, never>);
