import { css, html, nothing } from 'lit';
import { METHOD_INFO } from '../../../core/attribution/defaults';
import { SEGMENT_DEFAULTS, outline } from '../../../core/segment-mask';
import { ResultView, pct } from './result-view';

/** Checkerboard squares behind the cut-out, pixels of the 224×224 frame. */
const CHECK = 8;

/**
 * Segmentation without supervision: the object cut out of the frozen frame (on a checkerboard, where the frame is
 * transparent) beside the frame with the cut's outline and box drawn over it, and the share of the frame it covers.
 */
export class SegmentResult extends ResultView<'segment'> {
  static override styles = [ResultView.baseStyles, css`
    .row { display: flex; gap: .5rem; flex: 1; min-height: 0; }
    figure { margin: 0; flex: 1; min-width: 0; display: flex; flex-direction: column; gap: .25rem; }
    figure canvas { width: 100%; flex: 1; aspect-ratio: 1; }
    figcaption { text-align: center; }
  `];

  override render() {
    const r = this.result;
    if (!r) return nothing;
    const flip = this.context?.mirrored ? 'mirrored' : '';
    const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
    return html`<div class="row">
        <figure><canvas class="cutout ${flip}" role="img" aria-label="The object cut out of the frozen frame, on a checkerboard"></canvas><figcaption>the cut-out</figcaption></figure>
        <figure><canvas class="outline ${flip}" role="img" aria-label="The frozen frame with the cut's outline and box"></canvas><figcaption>its outline on the frame</figcaption></figure>
      </div>
      <p data-testid="segment-summary">${r.box ? `The object covers ${pct(r.foregroundFraction)} of the frame.` : 'GrabCut kept nothing as the object.'}
        ${METHOD_INFO[r.method].label} (${METHOD_INFO[r.method].source}) marked its top ${Math.round((1 - SEGMENT_DEFAULTS.foregroundQuantile) * 100)} % of pixels as the object and its lowest ${Math.round(SEGMENT_DEFAULTS.backgroundQuantile * 100)} % as
        background; GrabCut (Rother et al. 2004, OpenCV) grew the rest from their colours. Map ${seconds(r.ms.attribution)}, GrabCut ${seconds(r.ms.grabCut)}.</p>`;
  }

  override updated(): void {
    const r = this.result;
    const frozen = this.context?.frozen;
    if (!r || !frozen) return;
    const { width: w, height: h } = r.mask;
    const frame = document.createElement('canvas');
    frame.width = w;
    frame.height = h;
    const fctx = frame.getContext('2d')!;
    fctx.drawImage(frozen, 0, 0, w, h);
    const pixels = fctx.getImageData(0, 0, w, h);

    const cut = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.cutout')!;
    cut.width = w;
    cut.height = h;
    const cctx = cut.getContext('2d')!;
    for (let y = 0; y < h; y += CHECK) {
      for (let x = 0; x < w; x += CHECK) {
        cctx.fillStyle = ((x + y) / CHECK) % 2 === 0 ? '#d8d8d8' : '#a8a8a8';
        cctx.fillRect(x, y, CHECK, CHECK);
      }
    }
    const object = new ImageData(w, h);
    for (let i = 0; i < w * h; i++) {
      if (!r.mask.data[i]) continue;
      object.data.set(pixels.data.subarray(4 * i, 4 * i + 4), 4 * i);
    }
    const layer = document.createElement('canvas');
    layer.width = w;
    layer.height = h;
    layer.getContext('2d')!.putImageData(object, 0, 0);
    cctx.drawImage(layer, 0, 0);

    const over = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.outline')!;
    over.width = w;
    over.height = h;
    const octx = over.getContext('2d')!;
    octx.putImageData(pixels, 0, 0);
    const edge = outline(r.mask);
    const drawn = octx.getImageData(0, 0, w, h);
    for (let i = 0; i < w * h; i++) {
      if (!edge.data[i]) continue;
      drawn.data.set([0, 255, 170, 255], 4 * i);
    }
    octx.putImageData(drawn, 0, 0);
    if (r.box) {
      octx.strokeStyle = '#ffd400';
      octx.setLineDash([4, 3]);
      octx.lineWidth = 1;
      octx.strokeRect(r.box.x + 0.5, r.box.y + 0.5, r.box.width - 1, r.box.height - 1);
    }
  }
}
customElements.define('segment-result', SegmentResult);
