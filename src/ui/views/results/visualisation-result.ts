import { css, html, nothing } from 'lit';
import { VISUALIZE_JOB } from '../../../core/optimize/defaults';
import { stretchContrast } from '../../../core/render/image';
import { paint } from '../../canvas';
import { ResultView, firstName, pct } from './result-view';

/**
 * Class visualisation: the generated image and how sure the network is of it. The default recipe raises the
 * picture's contrast in the core (the probability is that of the picture shown); other presets' pale pictures are
 * stretched here for display only.
 */
export class VisualisationResult extends ResultView<'class-visualisation'> {
  static override styles = [ResultView.baseStyles, css`.hint { font-size: .9em; opacity: .85; }`];

  override render() {
    const r = this.result;
    if (!r) return nothing;
    return html`<canvas class="main generated" role="img" aria-label="Generated image for ${r.label}"></canvas>
      <p>The network sees “${firstName(r.label)}” in this image with probability ${pct(r.probability)} (${r.steps} gradient steps${r.contrastRaised ? '; contrast raised for display, as scored' : '; shown contrast-stretched'}).</p>
      ${r.steps < VISUALIZE_JOB.default.steps
        ? html`<p class="hint" data-testid="few-steps">Only ${r.steps} steps fitted the job's time on this device; a person recognises the class better after ${VISUALIZE_JOB.default.steps}–${VISUALIZE_JOB.default.maxSteps}: “More detail” takes ${VISUALIZE_JOB.detail.steps}, and the lite model takes about a third of the standard model's time per step.</p>`
        : nothing}`;
  }

  override updated(): void {
    const canvas = this.renderRoot.querySelector('canvas');
    if (canvas && this.result) paint(canvas, this.result.contrastRaised ? this.result.image : stretchContrast(this.result.image));
  }
}
customElements.define('visualisation-result', VisualisationResult);
