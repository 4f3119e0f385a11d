import { css, html, nothing } from 'lit';
import { paint } from '../../canvas';
import { ResultView, firstName, pct } from './result-view';

/**
 * Multifaceted visualisation (Nguyen et al. 2016): one row per facet — the mean of its gallery pictures (the start),
 * the image painted from it, the class probability of both, and the strip of the pictures in the facet.
 */
export class FacetsResult extends ResultView<'multifaceted'> {
  static override styles = [ResultView.baseStyles, css`
    :host { overflow-y: auto; }
    .facet { display: grid; grid-template-columns: auto auto minmax(0, 1fr); gap: .6rem; align-items: start; padding: .35rem 0; border-top: 1px solid #333; }
    figure { margin: 0; }
    figure canvas { width: 8.5rem; height: 8.5rem; }
    figcaption { font-size: .8em; text-align: center; color: #bbb; font-variant-numeric: tabular-nums; }
    .facet-image figcaption { color: inherit; }
    .members { display: flex; flex-wrap: wrap; gap: .3rem; align-content: flex-start; }
    .members img { width: 3.6rem; height: 3.6rem; object-fit: cover; border-radius: .2rem; display: block; }
    .members p { flex-basis: 100%; font-size: .85em; color: #bbb; }
  `];

  override render() {
    const r = this.result;
    if (!r) return nothing;
    const thumbnail = this.context?.thumbnail ?? ((_: string, name: string) => `gallery/${name}`);
    const name = firstName(r.label);
    const members = r.facets.reduce((n, f) => n + f.members.length, 0);
    return html`<p>The ${members} gallery pictures the network scores highest for “${name}” (of ${r.scored}), grouped by what the network sees into ${r.facets.length} facets. Each image starts from the average of its group and is changed in ${r.steps} gradient steps, the middle first, until the network sees a “${name}” in it.</p>
      ${r.facets.map(
        (f, i) => html`<section class="facet" data-facet=${i}>
          <figure class="facet-start"><canvas role="img" aria-label="Average of facet ${i + 1}'s pictures"></canvas><figcaption>start: ${pct(f.initProbability)}</figcaption></figure>
          <figure class="facet-image"><canvas role="img" aria-label="Facet ${i + 1} of ${name}"></canvas><figcaption>facet ${i + 1}: ${pct(f.probability)}</figcaption></figure>
          <div class="members">
            <p>${f.members.length} ${f.members.length === 1 ? 'picture' : 'pictures'}</p>
            ${f.members.map((m) => html`<img src=${thumbnail(m.id, m.name)} alt=${m.name.replace(/^.*\//, '')} title="${m.name.replace(/^.*\//, '')}: logit ${m.logit.toFixed(1)}" />`)}
          </div>
        </section>`,
      )}`;
  }

  override updated(): void {
    const r = this.result;
    if (!r) return;
    this.renderRoot.querySelectorAll<HTMLElement>('.facet').forEach((row, i) => {
      const f = r.facets[i];
      const [start, image] = row.querySelectorAll('canvas');
      if (!f || !start || !image) return;
      paint(start, f.init);
      paint(image, f.image);
    });
  }
}
customElements.define('facets-result', FacetsResult);
