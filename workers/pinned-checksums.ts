import { parseChecksums } from '../src/core/model-integrity';
// The same file `npm run setup` verifies against (one source of truth), bundled as text by Vite.
import listing from '../scripts/models.sha256?raw';

/** SHA-256 of every bundled model file, by path below the models root. */
export const PINNED_MODEL_SUMS: ReadonlyMap<string, string> = parseChecksums(listing);
