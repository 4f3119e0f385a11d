import { css, html, nothing } from 'lit';
import { ResultView } from './result-view';

const VIEW_TITLES: Record<string, string> = {
  'feature/l2': 'What the network sees (feature space, L2 distance)',
  'feature/cosine': 'What the network sees (feature space, cosine distance)',
  'pixel/l2': 'Pixel by pixel (L2 distance)',
};

/** Nearest neighbours: the gallery pictures closest to the frame, in feature space and in pixel space. */
export class NeighboursResult extends ResultView<'neighbours'> {
  static override styles = [ResultView.baseStyles, css`
    :host { overflow-y: auto; }
    h3 { font-size: 1em; margin: .25rem 0; color: #bbb; font-weight: normal; }
    .row { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: .4rem; }
    figure { margin: 0; min-width: 0; }
    figure img { width: 100%; aspect-ratio: 1; object-fit: cover; border-radius: .2rem; display: block; }
    figcaption { font-size: .85em; text-align: center; font-variant-numeric: tabular-nums; }
  `];

  override render() {
    const r = this.result;
    if (!r) return nothing;
    const thumbnail = this.context?.thumbnail ?? ((_: string, name: string) => `gallery/${name}`);
    return html`${r.views.map(
      (v) => html`<section>
        <h3>${VIEW_TITLES[`${v.space}/${v.metric}`] ?? `${v.space} ${v.metric}`}</h3>
        <div class="row" data-view="${v.space}/${v.metric}">
          ${v.neighbours.map((n) => html`<figure><img src=${thumbnail(n.id, n.name)} alt=${n.name} /><figcaption>${n.distance.toFixed(2)}</figcaption></figure>`)}
        </div>
      </section>`,
    )}`;
  }
}
customElements.define('neighbours-result', NeighboursResult);
