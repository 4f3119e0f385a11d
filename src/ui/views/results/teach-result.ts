import { css, html, nothing } from 'lit';
import { ResultView, pct } from './result-view';

/** Teach mode's training: the visitor's classes with their examples, and how well the head learned them. */
export class TeachResult extends ResultView<'teach'> {
  static override styles = [ResultView.baseStyles, css`
    table { border-collapse: collapse; font-size: 1.1em; }
    th, td { padding: .3rem .8rem; text-align: left; border-bottom: 1px solid #333; }
    td.n { text-align: right; font-variant-numeric: tabular-nums; }
  `];

  override render() {
    const r = this.result;
    if (!r) return nothing;
    return html`<table>
        <thead><tr><th scope="col">Class</th><th scope="col">Examples</th></tr></thead>
        <tbody>${r.classes.map((c, i) => html`<tr><td>${c}</td><td class="n">${r.counts[i]}</td></tr>`)}</tbody>
      </table>
      <p>${r.epochs} passes over the examples in ${(r.ms / 1000).toFixed(1)} s: ${pct(r.trainAccuracy)} of the examples classified right (loss ${r.loss.toFixed(3)}).</p>
      <p>Back in the live view the network predicts these classes, and saliency, Grad-CAM and occlusion show what your classifier looks at.</p>`;
  }
}
customElements.define('teach-result', TeachResult);
