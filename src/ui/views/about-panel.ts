import { LitElement, css, html, nothing } from 'lit';
import { type AttributionRow, groupCredits, parseAttribution } from '../../core/gallery/attribution';
import { controlStyles } from '../control-styles';

/** The licence file shipped beside the photos for each source (public/gallery/photos/LICENSE-*.txt). */
function licenceFile(file: string): string | undefined {
  if (file.startsWith('grocery-')) return 'LICENSE-GroceryStoreDataset.txt';
  if (file.startsWith('kodak-')) return 'LICENSE-kodak.txt';
  if (file.startsWith('budgie-')) return 'LICENSE-budgie-backgrounds.txt';
  return undefined;
}

/**
 * The About overlay (header button "About", key A): what ConvLens is, and the credits of every gallery picture,
 * read from the shipped gallery/photos/ATTRIBUTION.csv (grouped by source, then by credit and licence; each
 * source links its licence text) and gallery/LICENSES.md for the sample pictures. All files are the app's own.
 */
export class AboutPanel extends LitElement {
  static override properties = { rows: { state: true }, problem: { state: true } };
  private rows: AttributionRow[] | undefined;
  private problem = '';

  static override styles = [controlStyles, css`
    :host { position: fixed; inset: 0; display: grid; place-items: center; background: rgba(0, 0, 0, .75); z-index: 20; }
    [role='dialog'] { box-sizing: border-box; width: min(60rem, calc(100vw - 2rem)); max-height: calc(100vh - 2rem); overflow: auto; background: #1c1c1c; color: #eee; border: 1px solid #555; border-radius: .5rem; padding: 1rem 1.5rem; line-height: 1.4; }
    h2 { margin: 0 0 .5rem; font-size: 1.4em; }
    h3 { font-size: 1em; color: #f6c36a; margin: 1rem 0 .3rem; }
    p { margin: .3rem 0; }
    ul { margin: .2rem 0; padding-left: 1.2rem; }
    a { color: #8cf; }
    .source { color: #aaa; overflow-wrap: anywhere; font-size: .9em; }
    details { margin-top: .8rem; }
    summary { cursor: pointer; }
    table { border-collapse: collapse; font-size: .85em; }
    td { padding: .1rem .5rem .1rem 0; vertical-align: top; }
    button { margin-top: 1rem; }
  `];

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  override firstUpdated(): void {
    this.renderRoot.querySelector('button')?.focus();
  }

  private async load(): Promise<void> {
    try {
      const response = await fetch('gallery/photos/ATTRIBUTION.csv');
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      this.rows = parseAttribution(await response.text());
    } catch (err) {
      this.problem = `The photo credits could not be read (${err instanceof Error ? err.message : String(err)}); they are in gallery/photos/ATTRIBUTION.csv.`;
    }
  }

  private credits(rows: AttributionRow[]) {
    const sources = new Map<string, AttributionRow[]>();
    for (const r of rows) sources.set(r.source_repository, [...(sources.get(r.source_repository) ?? []), r]);
    return [...sources].map(([source, list]) => {
      const licence = licenceFile(list[0]!.file);
      return html`<section>
        <h3>${list.length} photos from ${source.replace(/^https:\/\/github\.com\//, '')}</h3>
        <p class="source">${source}${licence ? html` · licence text: <a href=${`gallery/photos/${licence}`} target="_blank">${licence}</a>` : nothing}</p>
        <ul>${groupCredits(list).map((g) => html`<li>${g.credit} — ${g.licence}${list.length > 1 && g.files.length < list.length ? html` (${g.files.length === 1 ? g.files[0] : `${g.files.length} photos`})` : nothing}</li>`)}</ul>
      </section>`;
    });
  }

  override render() {
    const close = () => this.dispatchEvent(new CustomEvent('close', { bubbles: true, composed: true }));
    return html`<div role="dialog" aria-modal="true" aria-labelledby="about-title">
      <h2 id="about-title">About ConvLens</h2>
      <p>ConvLens shows what an ImageNet ConvNet — MobileNet v1 (Howard et al. 2017), weights from the TensorFlow.js
        model repository — sees in a camera picture, with the methods of <i>Visualizing and Understanding ConvNets</i>.
        Everything runs in this browser; no picture leaves it.</p>
      <h3>The gallery's pictures</h3>
      <p>7 sample pictures from scikit-image's data (CC0 and public domain; see <a href="gallery/LICENSES.md" target="_blank">LICENSES.md</a>)
        and ${this.rows ? this.rows.length : 183} photos, credited below (reduced to 256 px; one row per photo in
        <a href="gallery/photos/ATTRIBUTION.csv" target="_blank">ATTRIBUTION.csv</a>).</p>
      ${this.problem ? html`<p role="alert">${this.problem}</p>` : nothing}
      ${this.rows ? this.credits(this.rows) : this.problem ? nothing : html`<p>Reading the credits…</p>`}
      ${this.rows
        ? html`<details><summary>Every photo</summary><table>${this.rows.map((r) => html`<tr><td>${r.file}</td><td>${r.subject}</td><td>${r.credit}</td><td>${r.licence}</td></tr>`)}</table></details>`
        : nothing}
      <button @click=${close}>Close (Esc)</button>
    </div>`;
  }
}
customElements.define('about-panel', AboutPanel);
