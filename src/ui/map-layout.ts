/**
 * Pure geometry of the gallery map (src/ui/views/results/map-result.ts), kept DOM-free so Node tests can check it:
 * fitting the embedding into the canvas, zoom and pan, thumbnail size, and the class labels placed on clusters.
 */

/** A point of the map in canvas pixels. */
export interface MapPoint {
  x: number;
  y: number;
}

/** Zoom and pan of the map: canvas = fitted × scale + (tx, ty). scale ≥ 1. */
export interface MapView {
  scale: number;
  tx: number;
  ty: number;
}

/** The whole map in view. */
export const HOME_VIEW: MapView = { scale: 1, tx: 0, ty: 0 };

/** The largest zoom the map allows. */
export const MAX_SCALE = 8;

/**
 * The map from embedding coordinates into a `size`×`size` canvas with `pad` pixels on each side that fits
 * `points`, each axis stretched to fill the canvas (a t-SNE or PCA map's two axes have no common unit worth
 * keeping, and a filled square shows the pictures largest). Other points (the live frame) go through the same map,
 * wherever they fall.
 */
export function fitTransform(points: readonly { x: number; y: number }[], size: number, pad: number): (p: { x: number; y: number }) => MapPoint {
  if (points.length === 0) return () => ({ x: size / 2, y: size / 2 });
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const axis = (v: number, min: number, max: number): number => (max > min ? pad + ((v - min) / (max - min)) * (size - 2 * pad) : size / 2);
  return (p) => ({ x: axis(p.x, minX, maxX), y: axis(p.y, minY, maxY) });
}

/** `points` fitted into the canvas by fitTransform. */
export function fitPoints(points: readonly { x: number; y: number }[], size: number, pad: number): MapPoint[] {
  return points.map(fitTransform(points, size, pad));
}

/** Where a fitted point appears under `view`. */
export function applyView(p: MapPoint, view: MapView): MapPoint {
  return { x: p.x * view.scale + view.tx, y: p.y * view.scale + view.ty };
}

/** `view` zoomed by `factor` about the canvas point `at` (that point stays where it is); scale kept in [1, MAX_SCALE]. */
export function zoomAt(view: MapView, factor: number, at: MapPoint, size: number): MapView {
  const scale = Math.min(MAX_SCALE, Math.max(1, view.scale * factor));
  const k = scale / view.scale;
  return clampView({ scale, tx: at.x - (at.x - view.tx) * k, ty: at.y - (at.y - view.ty) * k }, size);
}

/** `view` moved by (dx, dy) canvas pixels, never further than the map's edge. */
export function panBy(view: MapView, dx: number, dy: number, size: number): MapView {
  return clampView({ ...view, tx: view.tx + dx, ty: view.ty + dy }, size);
}

function clampView(view: MapView, size: number): MapView {
  const min = size - size * view.scale; // the map's right/bottom edge may not come inside the canvas
  return { scale: view.scale, tx: Math.min(0, Math.max(min, view.tx)), ty: Math.min(0, Math.max(min, view.ty)) };
}

/**
 * Side of a thumbnail in canvas pixels: about 0.9 × size/√n at full view (190 pictures on 960 px: 63 px), growing
 * with the square root of the zoom so that zooming in separates crowded pictures; between 32 and 128 px.
 */
export function thumbnailSide(count: number, size: number, scale: number): number {
  const base = (0.9 * size) / Math.sqrt(Math.max(1, count));
  return Math.round(Math.min(128, Math.max(32, base * Math.sqrt(scale))));
}

/** A label drawn on the map: the class name at the centre of its pictures. */
export interface ClusterLabel {
  label: string;
  x: number;
  y: number;
  /** Pictures of the class within the cluster. */
  count: number;
}

/**
 * Labels of classes whose pictures lie together: for each class with at least `minCount` pictures, the pictures
 * within `radius` of the class's coordinate-wise median; when at least `minCount` are, the label goes at their
 * mean. Classes whose pictures are scattered get no label (the map would be lying). Points with an undefined
 * label are ignored. Returned largest cluster first.
 */
export function clusterLabels(points: readonly MapPoint[], labels: readonly (string | undefined)[], radius: number, minCount = 2): ClusterLabel[] {
  const groups = new Map<string, MapPoint[]>();
  points.forEach((p, i) => {
    const label = labels[i];
    if (label !== undefined) groups.set(label, [...(groups.get(label) ?? []), p]);
  });
  const median = (v: number[]): number => {
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const out: ClusterLabel[] = [];
  for (const [label, members] of groups) {
    if (members.length < minCount) continue;
    const mx = median(members.map((p) => p.x));
    const my = median(members.map((p) => p.y));
    const near = members.filter((p) => Math.hypot(p.x - mx, p.y - my) <= radius);
    if (near.length < minCount) continue;
    out.push({ label, x: near.reduce((s, p) => s + p.x, 0) / near.length, y: near.reduce((s, p) => s + p.y, 0) / near.length, count: near.length });
  }
  return out.sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}

/**
 * The labels that can be drawn without overlapping, taken in the given order (largest cluster first): each label is
 * a box of `width(label)` × `height` centred on its place; a label whose box meets an earlier kept one is dropped.
 */
export function separateLabels(labels: readonly ClusterLabel[], width: (label: string) => number, height: number): ClusterLabel[] {
  const kept: { c: ClusterLabel; w: number }[] = [];
  for (const c of labels) {
    const w = width(c.label);
    if (kept.every((k) => Math.abs(k.c.x - c.x) * 2 >= k.w + w || Math.abs(k.c.y - c.y) >= height)) kept.push({ c, w });
  }
  return kept.map((k) => k.c);
}
