import { LitElement, css, html } from 'lit';
import { type ActivationMaps, activationGrid } from '../core/activation-maps';
import { paint } from './canvas';

/** The activation grid of one layer; clicking a tile selects (enlarges) that channel. */
export class ActivationGrid extends LitElement {
  static override properties = { maps: { attribute: false }, selected: { type: Number } };
  static override styles = css`
    :host { display: block; }
    canvas { width: 100%; image-rendering: pixelated; cursor: pointer; background: #202020; }
  `;
  maps: ActivationMaps | undefined;
  selected = -1;

  override render() {
    return html`<canvas role="img" aria-label="Activation maps of ${this.maps?.layer ?? 'the selected layer'}; click a channel to enlarge it" @click=${this.pick}></canvas>`;
  }

  override updated(): void {
    if (!this.maps) return;
    paint(this.renderRoot.querySelector('canvas')!, activationGrid(this.maps, { colormap: 'inferno' }));
  }

  private pick(event: MouseEvent): void {
    if (!this.maps) return;
    const canvas = event.currentTarget as HTMLCanvasElement;
    const [h, w, c] = this.maps.shape;
    // Same layout as activationGrid: ceil(√c) columns, tiles magnified to ~56 px, 1-pixel gaps.
    const columns = Math.ceil(Math.sqrt(c));
    const scale = Math.max(1, Math.floor(56 / Math.max(h, w)));
    const rect = canvas.getBoundingClientRect();
    const x = ((event.clientX - rect.left) / rect.width) * canvas.width;
    const y = ((event.clientY - rect.top) / rect.height) * canvas.height;
    const col = Math.floor((x - 1) / (w * scale + 1));
    const row = Math.floor((y - 1) / (h * scale + 1));
    const channel = row * columns + col;
    if (col >= 0 && col < columns && channel >= 0 && channel < c) {
      this.dispatchEvent(new CustomEvent('channel-selected', { detail: channel === this.selected ? -1 : channel, bubbles: true, composed: true }));
    }
  }
}
customElements.define('activation-grid', ActivationGrid);
