import { createStore, del, get, set, values } from 'idb-keyval';
import { type OwnModelInfo, type OwnModelRecord, ownModelInfo } from '../src/core/own-model';

/**
 * "Your own model" in the browser: models the user added, kept in IndexedDB (database "convlens-models", store
 * "models", separate from the gallery and the feature cache), one record per model keyed by its name — the
 * topology, weight specs and weights as model.json and its weight files held them, the labels, the input range and
 * what the page lists. The worker writes a record once the model compiled, reads it at every start with that
 * model (offline too: nothing is fetched); the page lists and removes them.
 */

/** The IndexedDB database of own models. */
export const OWN_MODELS_DB = 'convlens-models';
const OWN_MODELS_TABLE = 'models';

let store: ReturnType<typeof createStore> | undefined;
const models = (): ReturnType<typeof createStore> => (store ??= createStore(OWN_MODELS_DB, OWN_MODELS_TABLE));

function isRecord(value: unknown): value is OwnModelRecord {
  const r = value as Partial<OwnModelRecord> | undefined;
  return !!r && typeof r.name === 'string' && r.weightData instanceof ArrayBuffer && Array.isArray(r.weightSpecs) && Array.isArray(r.labels) && typeof r.numClasses === 'number';
}

/** The stored model named `name`, or undefined (none, or a damaged record). */
export async function storedOwnModel(name: string): Promise<OwnModelRecord | undefined> {
  const value: unknown = await get(name, models());
  return isRecord(value) ? value : undefined;
}

/** Stores (or replaces) a model; rejects with IndexedDB's error (e.g. QuotaExceededError). */
export function putOwnModel(record: OwnModelRecord): Promise<void> {
  return set(record.name, record, models());
}

/** What the page lists about every stored model, oldest first (weights are read and dropped). */
export async function listOwnModels(): Promise<OwnModelInfo[]> {
  return ((await values(models())) as unknown[]).filter(isRecord).map(ownModelInfo).sort((a, b) => a.added - b.added);
}

/** Removes the model named `name` (nothing happens when there is none). */
export function removeOwnModel(name: string): Promise<void> {
  return del(name, models());
}
