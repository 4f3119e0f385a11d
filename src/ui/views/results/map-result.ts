import { css, html, nothing } from 'lit';
import { groceryClass, parseAttribution } from '../../../core/gallery/attribution';
import { HOME_VIEW, type MapPoint, type MapView, applyView, clusterLabels, fitTransform, panBy, separateLabels, thumbnailSide, zoomAt } from '../../map-layout';
import type { JobResult } from '../../../../workers/protocol';
import { ResultView } from './result-view';

type EmbedResult = Extract<JobResult, { kind: 'embed' }>;

/**
 * Where the live frame falls among the gallery: PCA places it exactly; t-SNE/UMAP have no projection for new
 * points, so it goes among its 3 nearest gallery pictures (inverse-square weights).
 */
export function placeOnMap(r: EmbedResult, v: Float32Array): [number, number] | undefined {
  if (r.vectors.length === 0 || r.vectors[0]!.length !== v.length) return undefined;
  if (r.pca) {
    const { mean, components } = r.pca;
    const [a, b] = components.map((c) => c.reduce((s, w, i) => s + w * (v[i]! - mean[i]!), 0));
    return [a!, b ?? 0];
  }
  const d = r.vectors.map((g, i) => ({ i, d: Math.sqrt(g.reduce((s, x, k) => s + (x - v[k]!) ** 2, 0)) })).sort((a, b) => a.d - b.d).slice(0, 3);
  const w = d.map((n) => 1 / (n.d * n.d + 1e-9)); // inverse-square: the nearest image dominates
  const total = w.reduce((s, x) => s + x, 0);
  return [d.reduce((s, n, k) => s + (w[k]! * r.points[n.i]!.x) / total, 0), d.reduce((s, n, k) => s + (w[k]! * r.points[n.i]!.y) / total, 0)];
}

/** Canvas side in pixels (drawn at this size, shown scaled to fit the stage). */
const SIZE = 960;
const PAD = 48;

/** The photos' coarse classes by gallery name ('photos/grocery-…jpg' → 'Apple'), read once from ATTRIBUTION.csv. */
let photoClasses: Promise<Map<string, string>> | undefined;
function classesOfPhotos(): Promise<Map<string, string>> {
  photoClasses ??= fetch('gallery/photos/ATTRIBUTION.csv')
    .then(async (r) => (r.ok ? parseAttribution(await r.text()) : []))
    .then((rows) => new Map(rows.flatMap((row) => {
      const c = groceryClass(row);
      return c ? [[`photos/${row.file}`, c.coarse] as [string, string]] : [];
    })))
    .catch(() => new Map<string, string>());
  return photoClasses;
}

/**
 * The gallery map (t-SNE or PCA): every picture as a thumbnail, the live frame as a large red dot that moves, and
 * the grocery photos' class names (apple, melon, …) on the places where a class's photos lie together. Zoom with
 * the buttons, the wheel or a double click; drag to pan.
 */
export class MapResult extends ResultView<'embed'> {
  static override properties = { ...ResultView.properties, view: { state: true }, classes: { state: true } };
  static override styles = [ResultView.baseStyles, css`
    canvas { touch-action: none; cursor: grab; }
    .tools { display: flex; gap: .4rem; flex-wrap: wrap; align-items: center; }
    .tools button { font: inherit; color: inherit; background: #2a2a2a; border: 1px solid #555; border-radius: .35rem; padding: .3rem .7rem; min-height: 2.5rem; cursor: pointer; }
    .tools button:focus-visible { outline: 3px solid #6cf; outline-offset: 2px; }
  `];
  private view: MapView = HOME_VIEW;
  private classes: Map<string, string> | undefined;
  private readonly images = new Map<string, HTMLImageElement>();
  private drag: { id: number; x: number; y: number } | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    void classesOfPhotos().then((c) => (this.classes = c));
  }

  override render() {
    const r = this.result;
    if (!r) return nothing;
    return html`<canvas class="main" role="img" aria-label="${r.method} map of the gallery; the red dot is the live frame"
        @wheel=${this.onWheel} @pointerdown=${this.onDown} @pointermove=${this.onMove} @pointerup=${this.onUp} @pointercancel=${this.onUp} @dblclick=${this.onDouble}></canvas>
      <div class="tools">
        <button @click=${() => this.zoom(1.5)}>Zoom in</button>
        <button @click=${() => this.zoom(1 / 1.5)} ?disabled=${this.view.scale <= 1}>Zoom out</button>
        <button @click=${() => (this.view = HOME_VIEW)} ?disabled=${this.view.scale <= 1}>Whole map</button>
      </div>
      <p>Pictures the network finds alike lie close together. The red dot is the live frame: show the camera something else and watch it move.</p>`;
  }

  override updated(): void {
    const canvas = this.renderRoot.querySelector('canvas');
    if (canvas && this.result) this.drawMap(canvas, this.result);
  }

  /** A pointer position in canvas pixels (the canvas is shown scaled and centred by object-fit: contain). */
  private canvasPoint(event: { clientX: number; clientY: number }): MapPoint {
    const canvas = this.renderRoot.querySelector('canvas')!;
    const rect = canvas.getBoundingClientRect();
    const s = Math.min(rect.width / SIZE, rect.height / SIZE) || 1;
    return { x: (event.clientX - rect.left - (rect.width - SIZE * s) / 2) / s, y: (event.clientY - rect.top - (rect.height - SIZE * s) / 2) / s };
  }

  private zoom(factor: number, at: MapPoint = { x: SIZE / 2, y: SIZE / 2 }): void {
    this.view = zoomAt(this.view, factor, at, SIZE);
  }

  private readonly onWheel = (event: WheelEvent): void => {
    event.preventDefault();
    this.zoom(event.deltaY < 0 ? 1.25 : 1 / 1.25, this.canvasPoint(event));
  };

  private readonly onDouble = (event: MouseEvent): void => this.zoom(2, this.canvasPoint(event));

  private readonly onDown = (event: PointerEvent): void => {
    const p = this.canvasPoint(event);
    this.drag = { id: event.pointerId, ...p };
    (event.target as Element).setPointerCapture?.(event.pointerId);
  };

  private readonly onMove = (event: PointerEvent): void => {
    if (!this.drag || this.drag.id !== event.pointerId) return;
    const p = this.canvasPoint(event);
    this.view = panBy(this.view, p.x - this.drag.x, p.y - this.drag.y, SIZE);
    this.drag = { id: event.pointerId, ...p };
  };

  private readonly onUp = (): void => {
    this.drag = undefined;
  };

  private drawMap(canvas: HTMLCanvasElement, r: EmbedResult): void {
    canvas.width = SIZE;
    canvas.height = SIZE;
    const ctx = canvas.getContext('2d')!;
    const live = this.context?.live;
    const dot = live && placeOnMap(r, live);
    const fit = fitTransform(r.points, SIZE, PAD);
    const fitted = r.points.map((p) => applyView(fit(p), this.view));
    const side = thumbnailSide(r.points.length, SIZE, this.view.scale);
    ctx.fillStyle = '#202020';
    ctx.fillRect(0, 0, SIZE, SIZE);
    r.points.forEach((p, i) => {
      const at = fitted[i]!;
      if (at.x < -side || at.y < -side || at.x > SIZE + side || at.y > SIZE + side) return;
      let img = this.images.get(p.id);
      if (!img) {
        img = new Image();
        img.src = this.context?.thumbnail(p.id, p.name) ?? `gallery/${p.name}`;
        img.onload = () => this.requestUpdate();
        this.images.set(p.id, img);
      }
      const [x, y] = [at.x - side / 2, at.y - side / 2];
      if (img.complete && img.naturalWidth > 0) {
        // The centred square of the picture, not a squashed whole.
        const crop = Math.min(img.naturalWidth, img.naturalHeight);
        ctx.drawImage(img, (img.naturalWidth - crop) / 2, (img.naturalHeight - crop) / 2, crop, crop, x, y, side, side);
        ctx.strokeStyle = '#000';
        ctx.lineWidth = 1;
        ctx.strokeRect(x + 0.5, y + 0.5, side - 1, side - 1);
      } else {
        ctx.fillStyle = '#555';
        ctx.fillRect(at.x - 4, at.y - 4, 8, 8);
      }
    });
    if (this.classes) {
      const labels = r.points.map((p) => this.classes!.get(p.name));
      // Big enough to read when the map is shown at a third of its size; labels that would overlap are dropped.
      const px = 36;
      ctx.font = `bold ${px}px "Atkinson Hyperlegible", sans-serif`;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.lineJoin = 'round';
      for (const c of separateLabels(clusterLabels(fitted, labels, side * 1.25), (t) => ctx.measureText(t).width + 8, px * 1.1)) {
        ctx.lineWidth = 8;
        ctx.strokeStyle = 'rgba(0, 0, 0, .85)';
        ctx.strokeText(c.label, c.x, c.y);
        ctx.fillStyle = '#ffe08a';
        ctx.fillText(c.label, c.x, c.y);
      }
    }
    if (dot) {
      // A live frame unlike every gallery picture can fall outside the map: it is then drawn at the edge.
      const free = applyView(fit({ x: dot[0], y: dot[1] }), this.view);
      const at = { x: Math.min(SIZE - 20, Math.max(20, free.x)), y: Math.min(SIZE - 20, Math.max(20, free.y)) };
      ctx.beginPath();
      ctx.arc(at.x, at.y, 16, 0, 2 * Math.PI);
      ctx.fillStyle = '#ff3b30';
      ctx.fill();
      ctx.lineWidth = 5;
      ctx.strokeStyle = '#fff';
      ctx.stroke();
    }
  }
}
customElements.define('map-result', MapResult);
