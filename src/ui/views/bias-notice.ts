import { css, html, nothing } from 'lit';
import { biasVerdict } from '../../core/bias';
import { AppView } from './app-view';

/**
 * The bias lesson, said by itself (issue 12; the lecture's "saliency maps uncover biases"): under the stage while a
 * taught classifier is explained live, how much of the map lies in the middle of the picture, where the visitor
 * holds the object, against an even map's share; when it is less, the visitor is told the classifier may be looking
 * at the background, and what to do about it. The measure is the TeachController's (src/core/bias.ts).
 */
export class BiasNotice extends AppView {
  protected readonly watch = ['teach'] as const;
  static override styles = css`
    :host { display: block; }
    p { margin: 0; padding: .45rem .75rem; border-radius: .35rem; line-height: 1.35; }
    .background { background: #3a2a00; border: 1px solid #f6a21a; }
    .object { background: #12301a; border: 1px solid #3c9a55; }
    .even { background: #1c1c1c; border: 1px solid #555; }
  `;

  override render() {
    const bias = this.state?.teach.taught ? this.state.teach.bias : null;
    if (!bias) return nothing;
    const share = `${Math.round(bias.objectShare * 100)} %`;
    const flat = `${Math.round(bias.flatShare * 100)} %`;
    // Within a few points of an even map the map prefers neither: say so rather than claim a side.
    const verdict = biasVerdict(bias);
    if (verdict === 'even') {
      return html`<p class="even" role="status" data-testid="bias-notice">Your classifier's map is spread over the whole picture: ${share} of it lies in the middle, where you hold your object, about what an even map puts there (${flat}).</p>`;
    }
    return verdict === 'background'
      ? html`<p class="background" role="status" data-testid="bias-notice"><strong>Your classifier may be looking at the background</strong>: only ${share} of the map lies in the middle of the picture, where you hold your object (an even map would put ${flat} there). Add examples in front of other backgrounds, or of the background alone as a class of its own.</p>`
      : html`<p class="object" role="status" data-testid="bias-notice">Your classifier looks at the middle of the picture, where you hold your object: ${share} of the map lies there (an even map would put ${flat}).</p>`;
  }
}
customElements.define('bias-notice', BiasNotice);
