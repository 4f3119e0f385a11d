import { css, html, nothing } from 'lit';
import { controlStyles } from '../control-styles';
import { SAMPLE_IMAGES } from '../controllers/source-controller';
import { AppView } from './app-view';

/** Where the picture comes from: the camera (front/back, or a choice of cameras), a bundled picture, or (outside kiosk mode) the visitor's own image or video. */
export class SourcePanel extends AppView {
  protected readonly watch = ['cameras', 'cameraId', 'source', 'kiosk'] as const;
  static override styles = [controlStyles, css`
    :host { display: block; }
    h2 { font-size: .95em; margin: 0 0 .4rem; color: #bbb; font-weight: normal; }
    .samples { display: flex; flex-wrap: wrap; gap: .3rem; }
    label { display: flex; flex-direction: column; gap: .25rem; margin-top: .5rem; }
    select, input { width: 100%; box-sizing: border-box; }
    button[aria-pressed='true'] { border-color: #6cf; }
  `];

  override render() {
    const s = this.state;
    const actions = this.actions;
    if (!s || !actions) return nothing;
    return html`<h2>Picture source</h2>
      <div class="samples">
        <button aria-pressed=${s.source === 'camera'} @click=${() => actions.useCamera()}>Camera</button>
        <button @click=${() => actions.switchFacing()}>Switch front/back</button>
        ${SAMPLE_IMAGES.map((name) => html`<button @click=${() => actions.useSample(name)}>${name.replace(/\..*$/, '').replace('_left', '')}</button>`)}
      </div>
      ${s.cameras.length > 1
        ? html`<label>Camera
            <select @change=${(e: Event) => actions.pickCamera((e.target as HTMLSelectElement).value)}>
              ${s.cameras.map((c, i) => html`<option value=${c.deviceId} ?selected=${c.deviceId === s.cameraId}>${c.label || `Camera ${i + 1}`}</option>`)}
            </select></label>`
        : nothing}
      ${s.kiosk
        ? nothing
        : html`<label>Your own image or video
            <input type="file" accept="image/*,video/*" @change=${(e: Event) => {
              const file = (e.target as HTMLInputElement).files?.[0];
              if (file) actions.useFile(file);
            }} /></label>`}`;
  }
}
customElements.define('source-panel', SourcePanel);
