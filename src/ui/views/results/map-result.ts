import { html, nothing } from 'lit';
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

/** The gallery map (t-SNE or PCA) with thumbnails, and the live frame as a moving red dot. */
export class MapResult extends ResultView<'embed'> {
  static override styles = ResultView.baseStyles;
  private readonly images = new Map<string, HTMLImageElement>();

  override render() {
    const r = this.result;
    if (!r) return nothing;
    return html`<canvas class="main" role="img" aria-label="${r.method} map of the gallery; the red dot is the live frame"></canvas>
      <p>Pictures the network finds alike lie close together. The red dot is the live frame: show the camera something else and watch it move.</p>`;
  }

  override updated(): void {
    const canvas = this.renderRoot.querySelector('canvas');
    if (canvas && this.result) this.drawMap(canvas, this.result);
  }

  private drawMap(canvas: HTMLCanvasElement, r: EmbedResult): void {
    const size = 480;
    const pad = 40;
    canvas.width = size;
    canvas.height = size;
    const ctx = canvas.getContext('2d')!;
    const xs = r.points.map((p) => p.x);
    const ys = r.points.map((p) => p.y);
    const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const sx = (x: number): number => pad + ((x - minX) / (maxX - minX || 1)) * (size - 2 * pad);
    const sy = (y: number): number => pad + ((y - minY) / (maxY - minY || 1)) * (size - 2 * pad);
    ctx.fillStyle = '#202020';
    ctx.fillRect(0, 0, size, size);
    for (const p of r.points) {
      let img = this.images.get(p.id);
      if (!img) {
        img = new Image();
        img.src = this.context?.thumbnail(p.id, p.name) ?? `gallery/${p.name}`;
        img.onload = () => this.requestUpdate();
        this.images.set(p.id, img);
      }
      if (img.complete && img.naturalWidth > 0) ctx.drawImage(img, sx(p.x) - 24, sy(p.y) - 24, 48, 48);
      else ctx.fillRect(sx(p.x) - 3, sy(p.y) - 3, 6, 6);
    }
    const live = this.context?.live;
    const dot = live && placeOnMap(r, live);
    if (dot) {
      ctx.beginPath();
      ctx.arc(sx(dot[0]), sy(dot[1]), 9, 0, 2 * Math.PI);
      ctx.fillStyle = '#ff3b30';
      ctx.fill();
      ctx.lineWidth = 3;
      ctx.strokeStyle = '#fff';
      ctx.stroke();
    }
  }
}
customElements.define('map-result', MapResult);
