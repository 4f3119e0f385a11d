import { LitElement, type PropertyValues, css, html, nothing } from 'lit';
import { colorize, stretchContrast } from '../core/render/image';
import type { JobResult } from '../../workers/protocol';
import type { RgbaImage } from '../core/preprocess';
import { paint } from './canvas';

const pct = (p: number): string => `${(p * 100).toFixed(1)} %`;

const VIEW_TITLES: Record<string, string> = {
  'feature/l2': 'Feature space, L2 distance',
  'feature/cosine': 'Feature space, cosine distance',
  'pixel/l2': 'Pixel space, L2 distance',
};

/**
 * The result of an on-demand mode: a heatmap over the frozen frame, nearest neighbours side by side, the gallery
 * map with the live frame as a moving dot, or the maximally activating patches.
 */
export class ModeResult extends LitElement {
  static override properties = {
    result: { attribute: false },
    frozen: { attribute: false },
    live: { attribute: false },
    thumbnail: { attribute: false },
    preview: { attribute: false },
  };
  static override styles = css`
    :host { display: block; }
    canvas { width: 100%; image-rendering: auto; background: #202020; border-radius: .25rem; }
    figure canvas { aspect-ratio: 1; }
    .row { display: flex; gap: .25rem; margin-bottom: .5rem; }
    figure { margin: 0; flex: 1; min-width: 0; }
    figure img { width: 100%; aspect-ratio: 1; object-fit: cover; border-radius: .2rem; }
    figcaption { font-size: .8rem; text-align: center; font-variant-numeric: tabular-nums; }
    h3 { font-size: .9rem; margin: .25rem 0; color: #bbb; font-weight: normal; }
  `;
  result: JobResult | undefined;
  frozen: ImageBitmap | undefined;
  /** The live frame's feature vector (moves the dot on the map). */
  live: Float32Array | undefined;
  thumbnail: (id: string, name: string) => string = (_, name) => `gallery/${name}`;
  /** The image so far, while a generating job runs. */
  preview: RgbaImage | undefined;
  private images = new Map<string, HTMLImageElement>();

  override render() {
    const r = this.result;
    if (!r) return this.preview ? html`<canvas class="preview" role="img" aria-label="The image so far"></canvas>` : nothing;
    switch (r.kind) {
      case 'class-visualisation':
        return html`<canvas class="generated" role="img" aria-label="Generated image for ${r.label}"></canvas>
          <p>The network sees “${r.label.split(',')[0]}” in this image with probability ${pct(r.probability)} (${r.steps} gradient steps).</p>`;
      case 'fool':
        return html`<div class="row">
            <figure><canvas class="original"></canvas><figcaption>${r.before.label.split(',')[0]} ${pct(r.before.probability)}</figcaption></figure>
            <figure><canvas class="adversarial"></canvas><figcaption>${r.after.label.split(',')[0]} ${pct(r.after.probability)}</figcaption></figure>
            <figure><canvas class="difference"></canvas><figcaption>difference ×10</figcaption></figure>
          </div>
          <p>${r.success ? `Fooled: now “${r.after.label.split(',')[0]}”` : 'Not fooled within the budget'}, changing no pixel by more than ${Math.round(r.linf)} of 255.</p>`;
      case 'uap':
        return html`<canvas class="uap" role="img" aria-label="The universal perturbation"></canvas>
          <p>Changes the top class of ${pct(r.foolingRate)} of ${r.images} training views (each gallery picture whole and centre-cropped) (${r.passes} ${r.passes === 1 ? 'pass' : 'passes'}).</p>`;
      case 'neighbours':
        return html`${r.views.map(
          (v) => html`<h3>${VIEW_TITLES[`${v.space}/${v.metric}`] ?? `${v.space} ${v.metric}`}</h3>
            <div class="row" data-view="${v.space}/${v.metric}">
              ${v.neighbours.map((n) => html`<figure><img src=${this.thumbnail(n.id, n.name)} alt=${n.name} /><figcaption>${n.distance.toFixed(2)}</figcaption></figure>`)}
            </div>`,
        )}`;
      case 'gallery-add':
        return html`<p>Added. The gallery now has ${r.size} pictures.</p>`;
      default:
        return html`<canvas role="img" aria-label=${r.kind === 'embed' ? `${r.method} map of the gallery; the red dot is the live frame` : `${r.kind} result`}></canvas>`;
    }
  }

  override updated(changed: PropertyValues): void {
    const r = this.result;
    const canvas = this.renderRoot.querySelector('canvas');
    if (!r && this.preview && canvas) paint(canvas, stretchContrast(this.preview));
    if (!r || !canvas) return;
    const at = (selector: string): HTMLCanvasElement => this.renderRoot.querySelector<HTMLCanvasElement>(selector)!;
    // Shown contrast-stretched (the probability above is that of the unstretched result).
    if (r.kind === 'class-visualisation' && changed.has('result')) paint(at('canvas.generated'), stretchContrast(r.image));
    if (r.kind === 'uap' && changed.has('result')) paint(at('canvas.uap'), r.picture);
    if (r.kind === 'fool' && changed.has('result')) {
      paint(at('canvas.original'), r.original);
      paint(at('canvas.adversarial'), r.adversarial);
      paint(at('canvas.difference'), r.difference);
    }
    if (r.kind === 'top-patches' && changed.has('result')) paint(canvas, r.grid);
    if (r.kind === 'explain' && (changed.has('result') || changed.has('frozen')) && this.frozen) {
      canvas.width = 224;
      canvas.height = 224;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(this.frozen, 0, 0, 224, 224);
      const layer = document.createElement('canvas');
      paint(layer, colorize({ width: r.heatmap.width, height: r.heatmap.height, data: r.heatmap.data }, 'inferno', 0.8));
      ctx.drawImage(layer, 0, 0, 224, 224);
    }
    if (r.kind === 'embed') this.drawMap(canvas, r);
  }

  /** Scatter of the gallery with thumbnails; the live frame is placed exactly (PCA) or among its 3 nearest (t-SNE/UMAP). */
  private drawMap(canvas: HTMLCanvasElement, r: Extract<JobResult, { kind: 'embed' }>): void {
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
        img.src = this.thumbnail(p.id, p.name);
        img.onload = () => this.requestUpdate();
        this.images.set(p.id, img);
      }
      if (img.complete && img.naturalWidth > 0) ctx.drawImage(img, sx(p.x) - 24, sy(p.y) - 24, 48, 48);
      else ctx.fillRect(sx(p.x) - 3, sy(p.y) - 3, 6, 6);
    }
    const dot = this.live && this.place(r, this.live);
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

  private place(r: Extract<JobResult, { kind: 'embed' }>, v: Float32Array): [number, number] | undefined {
    if (r.vectors.length === 0 || r.vectors[0]!.length !== v.length) return undefined;
    if (r.pca) {
      const [a, b] = r.pca.components.map((c) => c.reduce((s, w, i) => s + w * (v[i]! - r.pca!.mean[i]!), 0));
      return [a!, b ?? 0];
    }
    const d = r.vectors.map((g, i) => ({ i, d: Math.sqrt(g.reduce((s, x, k) => s + (x - v[k]!) ** 2, 0)) })).sort((a, b) => a.d - b.d).slice(0, 3);
    const w = d.map((n) => 1 / (n.d * n.d + 1e-9)); // inverse-square: the nearest image dominates
    const total = w.reduce((s, x) => s + x, 0);
    return [d.reduce((s, n, k) => s + (w[k]! * r.points[n.i]!.x) / total, 0), d.reduce((s, n, k) => s + (w[k]! * r.points[n.i]!.y) / total, 0)];
  }
}
customElements.define('mode-result', ModeResult);
