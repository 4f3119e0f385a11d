import { html, nothing } from 'lit';
import { ResultView } from './result-view';

/** A snapshot added to the gallery: the frame, and the gallery's new size. */
export class SnapshotResult extends ResultView<'gallery-add'> {
  static override styles = ResultView.baseStyles;

  override render() {
    if (!this.result) return nothing;
    return html`<canvas class="main ${this.context?.mirrored ? 'mirrored' : ''}" role="img" aria-label="The frame added to the gallery"></canvas>
      <p>Added. The gallery now has ${this.result.size} pictures.</p>`;
  }

  override updated(): void {
    const canvas = this.renderRoot.querySelector('canvas');
    const frozen = this.context?.frozen;
    if (!canvas || !frozen) return;
    canvas.width = frozen.width;
    canvas.height = frozen.height;
    canvas.getContext('2d')!.drawImage(frozen, 0, 0);
  }
}
customElements.define('snapshot-result', SnapshotResult);
