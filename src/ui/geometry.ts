import type { Crop } from './frame-source';

/** A rectangle in CSS pixels, relative to its container. */
export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Where the square the model saw (`crop`, in picture pixels) lands when the picture is drawn with object-fit:
 * contain in `box`; mirrored flips it left-right (a selfie camera shown as a mirror).
 */
export function cropRectInBox(box: { width: number; height: number }, picture: { width: number; height: number }, crop: Crop, mirrored = false): Rect {
  const scale = Math.min(box.width / picture.width, box.height / picture.height);
  const left = (box.width - picture.width * scale) / 2 + crop.x * scale;
  const width = crop.width * scale;
  return { left: mirrored ? box.width - left - width : left, top: (box.height - picture.height * scale) / 2 + crop.y * scale, width, height: crop.height * scale };
}

/** The largest size with the content's aspect ratio that fits in `box` (CSS pixels, whole numbers). */
export function fitSize(box: { width: number; height: number }, content: { width: number; height: number }): { width: number; height: number } {
  const scale = Math.min(box.width / content.width, box.height / content.height);
  return { width: Math.max(0, Math.floor(content.width * scale)), height: Math.max(0, Math.floor(content.height * scale)) };
}
