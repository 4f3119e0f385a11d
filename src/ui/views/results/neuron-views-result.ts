import { css, html, nothing } from 'lit';
import { colorize, stretchContrast } from '../../../core/render/image';
import { paint } from '../../canvas';
import { ResultView } from './result-view';

/** Side of the drawn receptive-field crop, in canvas pixels. */
const CROP = 224;

/** Sizes a canvas to CROP × CROP, fills it with the padding grey and returns its context. */
function square(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  canvas.width = CROP;
  canvas.height = CROP;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#808080';
  ctx.fillRect(0, 0, CROP, CROP);
  return ctx;
}

/**
 * The three views of one neuron, side by side (the lecture's "guided backprop" and "visualize intermediate
 * features" figures): where on the frame the enlarged channel fires most and guided backprop of that neuron over
 * its receptive field; an image generated to excite the whole channel; and the gallery patches that excite it most.
 */
export class NeuronViewsResult extends ResultView<'neuron-views'> {
  static override styles = [
    ResultView.baseStyles,
    css`
      .row { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: .6rem; flex: 1; min-height: 0; overflow: auto; align-items: start; }
      figure { margin: 0; display: flex; flex-direction: column; gap: .3rem; min-width: 0; }
      canvas { width: 100%; aspect-ratio: 1; }
      canvas.patches { aspect-ratio: auto; height: auto; }
      .pair { display: grid; grid-template-columns: 1fr 1fr; gap: .3rem; }
      figcaption { font-size: .8rem; line-height: 1.25; font-variant-numeric: tabular-nums; }
      .letter { font-weight: bold; }
    `,
  ];

  override render() {
    const r = this.result;
    if (!r) return nothing;
    const flip = this.context?.mirrored ? 'mirrored' : '';
    const n = r.neuron;
    const value = n.preActivation !== undefined ? `${n.preActivation.toFixed(2)} before the ReLU6 clip` : n.activation.toFixed(2);
    return html`<div class="row" data-testid="neuron-views">
        <figure>
          <canvas class="frame ${flip}" role="img" aria-label="The frame with the neuron's receptive field boxed"></canvas>
          <div class="pair">
            <canvas class="field ${flip}" role="img" aria-label="The neuron's receptive field, enlarged"></canvas>
            <canvas class="guided ${flip}" role="img" aria-label="Guided backprop of the neuron over its receptive field"></canvas>
          </div>
          <figcaption><span class="letter">(a) Guided backprop</span> of the strongest neuron on this frame (row ${n.y}, column ${n.x}
            of the ${r.mapSize[0]}×${r.mapSize[1]} map; ${value}): the boxed ${r.fieldRect.width}×${r.fieldRect.height} pixels it
            sees, enlarged, and which of them drive it.</figcaption>
        </figure>
        <figure>
          <canvas class="visualisation" role="img" aria-label="An image generated to excite the channel"></canvas>
          <figcaption><span class="letter">(b) Generated</span> to excite the whole channel: its mean ${r.visualisation.activation.toFixed(2)}
            (grey picture: ${r.visualisation.startActivation.toFixed(2)}) after ${r.visualisation.steps} gradient steps; shown contrast-stretched.</figcaption>
        </figure>
        <figure>
          <canvas class="patches" role="img" aria-label="The gallery patches that excite the channel most"></canvas>
          <figcaption><span class="letter">(c) Top ${r.patches.items.length} gallery patches</span> of the channel, strongest first
            (${r.patches.rankedBy === 'pre-activation' ? 'value before the ReLU6 clip' : 'activation'} under each).</figcaption>
        </figure>
      </div>
      <p>Channel ${r.channel} of ${r.layer}, three ways: what in this frame drives its strongest neuron, what the channel
        would like to see, and where in the gallery it fires most (Springenberg et al. 2015; Zeiler &amp; Fergus 2014).
        Computed in ${(r.ms / 1000).toFixed(1)} s.</p>`;
  }

  override updated(): void {
    const r = this.result;
    if (!r) return;
    const at = (selector: string): HTMLCanvasElement | null => this.renderRoot.querySelector<HTMLCanvasElement>(selector);
    const frozen = this.context?.frozen;
    const frame = at('canvas.frame');
    if (frame) {
      frame.width = 224;
      frame.height = 224;
      const ctx = frame.getContext('2d')!;
      ctx.fillStyle = '#808080';
      ctx.fillRect(0, 0, 224, 224);
      if (frozen) ctx.drawImage(frozen, 0, 0, 224, 224);
      ctx.strokeStyle = '#ffb000';
      ctx.lineWidth = 3;
      ctx.strokeRect(r.region.x + 1.5, r.region.y + 1.5, Math.max(1, r.region.width - 3), Math.max(1, r.region.height - 3));
    }
    // The whole field, grey where it reaches beyond the frame (the zero padding), the frame's part drawn into place.
    const f = r.fieldRect;
    const sx = CROP / f.width;
    const sy = CROP / f.height;
    const dx = (r.region.x - f.x) * sx;
    const dy = (r.region.y - f.y) * sy;
    const dw = r.region.width * sx;
    const dh = r.region.height * sy;
    const field = at('canvas.field');
    if (field) {
      const ctx = square(field);
      if (frozen) {
        const kx = frozen.width / 224;
        const ky = frozen.height / 224;
        ctx.drawImage(frozen, r.region.x * kx, r.region.y * ky, r.region.width * kx, r.region.height * ky, dx, dy, dw, dh);
      }
    }
    const guided = at('canvas.guided');
    if (guided) {
      const ctx = square(guided);
      ctx.fillStyle = '#000';
      ctx.fillRect(dx, dy, dw, dh);
      const layer = document.createElement('canvas');
      paint(layer, colorize(r.guided, 'inferno'));
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(layer, dx, dy, dw, dh);
    }
    const vis = at('canvas.visualisation');
    if (vis) paint(vis, stretchContrast(r.visualisation.image));
    const patches = at('canvas.patches');
    if (patches) paint(patches, r.patches.grid);
  }
}
customElements.define('neuron-views-result', NeuronViewsResult);
