import { html, nothing } from 'lit';
import { colorize } from '../../../core/render/image';
import { paint } from '../../canvas';
import { ResultView } from './result-view';

/** Fine occlusion, Shapley values, Integrated Gradients: the map over the frozen frame it explains. */
export class ExplainResult extends ResultView<'explain'> {
  static override styles = ResultView.baseStyles;

  override render() {
    if (!this.result) return nothing;
    return html`<canvas class="main ${this.context?.mirrored ? 'mirrored' : ''}" role="img" aria-label="The map over the frozen frame: bright where the parts matter most for the class"></canvas>
      <p>Bright: the parts of the frozen frame that matter most for the class (computed in ${(this.result.ms / 1000).toFixed(1)} s).</p>
      ${this.completeness()}`;
  }

  /**
   * Integrated Gradients' completeness check, in words: the attributions should add up to the score's rise from the
   * black picture to this one; the gap (Captum's convergence delta, relative) says how far the sum is off.
   */
  private completeness() {
    const e = this.result?.extras;
    const gap = e?.['relativeGap'];
    const steps = e?.['steps'];
    const tolerance = e?.['tolerance'];
    if (typeof gap !== 'number' || typeof steps !== 'number' || typeof tolerance !== 'number') return nothing;
    const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
    return html`<p data-testid="completeness">The parts add up to the score's rise from a black picture to within ${pct(gap)}
      (${steps} steps${gap > tolerance ? `; more than the ${pct(tolerance)} aimed for` : ''}).</p>`;
  }

  override updated(): void {
    const canvas = this.renderRoot.querySelector('canvas');
    const frozen = this.context?.frozen;
    if (!canvas || !this.result || !frozen) return;
    canvas.width = 224;
    canvas.height = 224;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(frozen, 0, 0, 224, 224);
    const layer = document.createElement('canvas');
    paint(layer, colorize(this.result.heatmap, 'inferno', 0.8));
    ctx.drawImage(layer, 0, 0, 224, 224);
  }
}
customElements.define('explain-result', ExplainResult);
