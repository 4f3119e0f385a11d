import type { RgbaImage } from '../src/core/preprocess';

/** To the GrabCut worker: one GrabCut run (src/core/segment.ts GrabCutRunner's arguments). */
export interface GrabCutRequest {
  id: number;
  image: RgbaImage;
  /** GC labels, image.width × image.height. */
  seed: Uint8Array;
  iterations: number;
}

/** From the GrabCut worker: the final GC labels of request `id`, or the one-line error. */
export type GrabCutReply = { id: number; labels: Uint8Array } | { id: number; error: string };
