/** The two bundled networks. Both are ImageNet MobileNet v1 at 224×224 in TensorFlow.js layers format. */
export const MODEL_IDS = ['standard', 'lite'] as const;
export type ModelId = (typeof MODEL_IDS)[number];

export interface ModelDescriptor {
  id: ModelId;
  /** Folder under public/models/ (and under the official TensorFlow.js model URL). */
  dir: string;
  width: number;
}

export const MODELS: Record<ModelId, ModelDescriptor> = {
  standard: { id: 'standard', dir: 'mobilenet_v1_0.75_224', width: 0.75 },
  lite: { id: 'lite', dir: 'mobilenet_v1_0.25_224', width: 0.25 },
};

export function isModelId(value: string): value is ModelId {
  return (MODEL_IDS as readonly string[]).includes(value);
}

/** Relative path of a model's model.json below the models root (a URL prefix or a folder). */
export function modelJsonPath(id: ModelId): string {
  return `${MODELS[id].dir}/model.json`;
}
