import { LitElement, css, html } from 'lit';
import { type ActivationMaps, activationGrid } from '../../core/activation-maps';
import { paint } from '../canvas';
import { fitSize } from '../geometry';

/**
 * The activation grid of one layer, as large as its box allows (tiles keep their aspect); clicking a tile selects
 * (enlarges) that channel.
 */
export class ActivationGrid extends LitElement {
  static override properties = { maps: { attribute: false }, selected: { type: Number } };
  static override styles = css`
    :host { display: flex; align-items: center; justify-content: center; min-height: 0; min-width: 0; }
    canvas { display: block; image-rendering: pixelated; cursor: pointer; background: #202020; }
    canvas:focus-visible { outline: 3px solid #6cf; outline-offset: 2px; }
  `;
  maps: ActivationMaps | undefined;
  selected = -1;
  private readonly resizes = new ResizeObserver(() => this.fit());

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizes.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizes.disconnect();
  }

  /** Scales the canvas to the largest size with the grid's aspect that fits the host. */
  private fit(): void {
    const canvas = this.renderRoot.querySelector('canvas');
    if (!canvas || canvas.width === 0 || !this.maps) return;
    const { width, height } = fitSize({ width: this.clientWidth, height: this.clientHeight || this.clientWidth }, { width: canvas.width, height: canvas.height });
    Object.assign(canvas.style, { width: `${width}px`, height: `${height}px` });
  }

  override render() {
    const channels = this.maps?.shape[2] ?? 0;
    // A slider over the channels for keyboards and screen readers; the pointer picks a tile directly.
    return html`<canvas tabindex="0" role="slider" aria-label="Activation maps of ${this.maps?.layer ?? 'the selected layer'}: choose a channel to enlarge"
      aria-valuemin="-1" aria-valuemax=${Math.max(0, channels - 1)} aria-valuenow=${this.selected}
      aria-valuetext=${this.selected >= 0 ? `channel ${this.selected} of ${channels} enlarged` : 'no channel enlarged'}
      @click=${this.pick} @keydown=${this.onKey}></canvas>`;
  }

  override updated(): void {
    if (!this.maps) return;
    const canvas = this.renderRoot.querySelector('canvas')!;
    const size = `${canvas.width}×${canvas.height}`;
    paint(canvas, activationGrid(this.maps, { colormap: 'inferno' }));
    if (size !== `${canvas.width}×${canvas.height}` || !canvas.style.width) this.fit();
    const tile = this.tileRect(this.selected);
    if (tile) {
      const ctx = canvas.getContext('2d')!;
      ctx.strokeStyle = '#6cf';
      ctx.lineWidth = 2;
      ctx.strokeRect(tile.x, tile.y, tile.width, tile.height);
    }
  }

  /** Same layout as activationGrid: ceil(√c) columns, tiles magnified to ~56 px, 1-pixel gaps. */
  private layout(): { columns: number; scale: number; h: number; w: number; c: number } | undefined {
    if (!this.maps) return undefined;
    const [h, w, c] = this.maps.shape;
    return { columns: Math.ceil(Math.sqrt(c)), scale: Math.max(1, Math.floor(56 / Math.max(h, w))), h, w, c };
  }

  private tileRect(channel: number): { x: number; y: number; width: number; height: number } | undefined {
    const l = this.layout();
    if (!l || channel < 0 || channel >= l.c) return undefined;
    const col = channel % l.columns;
    const row = Math.floor(channel / l.columns);
    return { x: 1 + col * (l.w * l.scale + 1) - 1, y: 1 + row * (l.h * l.scale + 1) - 1, width: l.w * l.scale + 2, height: l.h * l.scale + 2 };
  }

  private choose(channel: number): void {
    this.dispatchEvent(new CustomEvent('channel-selected', { detail: channel, bubbles: true, composed: true }));
  }

  /** Arrows move the enlarged channel (up/down by a row), Home/End jump, Enter/Space/Escape toggle it off and on. */
  private onKey(event: KeyboardEvent): void {
    const l = this.layout();
    if (!l) return;
    const from = Math.max(0, this.selected);
    const moves: Record<string, number> = { ArrowRight: from + 1, ArrowLeft: from - 1, ArrowDown: from + l.columns, ArrowUp: from - l.columns, Home: 0, End: l.c - 1 };
    let next: number | undefined;
    if (event.key in moves) next = Math.min(l.c - 1, Math.max(0, this.selected < 0 && event.key.startsWith('Arrow') ? 0 : moves[event.key]!));
    else if (event.key === 'Enter' || event.key === ' ') next = this.selected >= 0 ? -1 : 0;
    else if (event.key === 'Escape' && this.selected >= 0) next = -1;
    if (next === undefined) return;
    event.preventDefault();
    event.stopPropagation(); // these keys mean "channel" here, not the app's view shortcuts
    this.choose(next);
  }

  private pick(event: MouseEvent): void {
    if (!this.maps) return;
    const canvas = event.currentTarget as HTMLCanvasElement;
    const { h, w, c, columns, scale } = this.layout()!;
    const rect = canvas.getBoundingClientRect();
    const x = ((event.clientX - rect.left) / rect.width) * canvas.width;
    const y = ((event.clientY - rect.top) / rect.height) * canvas.height;
    const col = Math.floor((x - 1) / (w * scale + 1));
    const row = Math.floor((y - 1) / (h * scale + 1));
    const channel = row * columns + col;
    if (col >= 0 && col < columns && channel >= 0 && channel < c) {
      this.choose(channel === this.selected ? -1 : channel);
    }
  }
}
customElements.define('activation-grid', ActivationGrid);
