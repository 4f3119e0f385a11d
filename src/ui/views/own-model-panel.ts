import { css, html, nothing } from 'lit';
import { formatBytes } from '../../core/gallery/validate';
import type { InputSpec } from '../../core/graph';
import { MODEL_IDS, MODELS } from '../../core/models';
import { controlStyles } from '../control-styles';
import { AppView } from './app-view';

/** The input ranges offered, as the select shows them. */
const RANGES: { value: string; label: string; range: readonly [number, number] }[] = [
  { value: '-1,1', label: '−1 … 1 (default)', range: [-1, 1] },
  { value: '0,1', label: '0 … 1', range: [0, 1] },
  { value: '0,255', label: '0 … 255', range: [0, 255] },
];

/**
 * "Use your own model": the model picker (the bundled standard and lite networks, the measured choice, and every
 * model stored in this browser), a drop zone and file picker for model.json with its weight file(s) and
 * metadata.json (a Teachable Machine export is exactly these), the input range (−1 … 1 by default: MobileNet,
 * Teachable Machine) and channel order the model was trained on, one line about the last add or removal, and the stored models with Use / Remove. Not shown in kiosk
 * mode (the shell leaves it out). State lives in the OwnModels controller; this view calls actions.
 */
export class OwnModelPanel extends AppView {
  protected readonly watch = ['ownModels', 'ownModelNotice', 'model', 'forcedModel', 'ready', 'modelError'] as const;
  static override properties = { dragging: { state: true }, range: { state: true }, channels: { state: true } };
  static override styles = [controlStyles, css`
    :host { display: flex; flex-direction: column; gap: .5rem; }
    label { display: flex; flex-direction: column; gap: .25rem; }
    select { width: 100%; box-sizing: border-box; }
    .drop { border: 2px dashed #555; border-radius: .5rem; padding: .5rem; display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; }
    .drop.dragging { border-color: #f6a21a; background: #2a2000; }
    .drop p { margin: 0; flex-basis: 100%; font-size: .9rem; color: #bbb; }
    .row { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: .4rem; }
    input[type='file'] { display: none; }
    .notice { margin: 0; padding: .35rem .5rem; border-radius: .3rem; font-size: .9rem; overflow-wrap: anywhere; }
    .notice.ok { background: #12301a; }
    .notice.busy { background: #2a2a2a; }
    .notice.error { background: #4a1010; border: 1px solid #f66; }
    ul { list-style: none; margin: 0; padding: 0; }
    li { display: grid; grid-template-columns: minmax(0, 1fr) auto auto; gap: .4rem; align-items: center; margin: .25rem 0; }
    .name { overflow-wrap: anywhere; font-size: .9rem; }
    .meta { display: block; color: #bbb; font-size: .8rem; }
    .note { font-size: .85rem; color: #bbb; margin: 0; }
    button:disabled, select:disabled { opacity: .5; cursor: default; }
  `];
  dragging = false;
  range = '-1,1';
  channels: InputSpec['channels'] = 'rgb';

  private input(): InputSpec {
    return { range: RANGES.find((r) => r.value === this.range)!.range, channels: this.channels };
  }

  private add(files: readonly File[]): void {
    if (files.length > 0) void this.actions?.addOwnModel(files, this.input());
  }

  private readonly onPicked = (event: Event): void => {
    const input = event.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    this.add(files);
  };

  private readonly onDrop = (event: DragEvent): void => {
    event.preventDefault();
    event.stopPropagation();
    this.dragging = false;
    this.add([...(event.dataTransfer?.files ?? [])]);
  };

  private pick(): void {
    // After the key event, not inside it (see gallery-panel: Chromium opens no chooser from an Enter keypress's click).
    setTimeout(() => this.renderRoot.querySelector<HTMLInputElement>('input[type=file]')?.click());
  }

  override render() {
    const s = this.state;
    const actions = this.actions;
    if (!s || !actions) return nothing;
    // While a model loads nothing else is started; after a failed load (e.g. ?model= naming no stored model) another can be picked.
    const busy = s.ownModelNotice?.kind === 'busy' || (!s.ready && !s.modelError);
    const chosen = s.forcedModel ?? '';
    return html`
      <label><span class="label">Model</span>
        <select data-testid="model-picker" ?disabled=${busy} @change=${(e: Event) => void actions.useModel((e.target as HTMLSelectElement).value || undefined)}>
          <option value="" ?selected=${chosen === ''}>Chosen for this device (standard or lite)</option>
          ${MODEL_IDS.map((id) => html`<option value=${id} ?selected=${chosen === id}>${id} (ImageNet, MobileNet ×${MODELS[id].width})</option>`)}
          ${s.ownModels.map((m) => html`<option value=${m.name} ?selected=${chosen === m.name}>${m.name} (yours, ${m.numClasses} classes)</option>`)}
        </select>
      </label>
      <div class="drop ${this.dragging ? 'dragging' : ''}" data-testid="own-model-drop" @dragover=${(e: DragEvent) => {
        e.preventDefault();
        e.stopPropagation();
        this.dragging = true;
      }} @dragleave=${() => (this.dragging = false)} @drop=${this.onDrop}>
        <p>Drop <b>model.json</b> with its weight file(s) and, if you have it, <b>metadata.json</b> here (a Teachable Machine export is these three), or:</p>
        <button ?disabled=${busy} @click=${() => this.pick()}>Choose model files</button>
        <input type="file" multiple tabindex="-1" aria-hidden="true" data-testid="own-model-files" accept=".json,.bin,.txt,application/json,application/octet-stream" @change=${this.onPicked} />
      </div>
      <div class="row">
        <label><span class="label">Input range</span>
          <select @change=${(e: Event) => (this.range = (e.target as HTMLSelectElement).value)}>
            ${RANGES.map((r) => html`<option value=${r.value} ?selected=${r.value === this.range}>${r.label}</option>`)}
          </select>
        </label>
        <label><span class="label">Channel order</span>
          <select @change=${(e: Event) => (this.channels = (e.target as HTMLSelectElement).value as InputSpec['channels'])}>
            <option value="rgb" ?selected=${this.channels === 'rgb'}>RGB</option>
            <option value="bgr" ?selected=${this.channels === 'bgr'}>BGR (Caffe-style)</option>
          </select>
        </label>
      </div>
      <div role="status" aria-live="polite" data-testid="own-model-notice">${s.ownModelNotice
        ? html`<p class="notice ${s.ownModelNotice.kind}">${s.ownModelNotice.text}</p>`
        : nothing}</div>
      ${s.ownModels.length > 0
        ? html`<ul aria-label="Models stored in this browser">${s.ownModels.map(
            (m) => html`<li data-name=${m.name}>
              <span class="name">${m.name}<span class="meta">${m.numClasses} classes · ${m.inputSize}×${m.inputSize} · ${formatBytes(m.bytes)}</span></span>
              <button ?disabled=${busy || s.model === m.name} @click=${() => void actions.useModel(m.name)}>Use</button>
              <button aria-label="Remove ${m.name}" ?disabled=${busy} @click=${() => void actions.removeOwnModel(m.name)}>Remove</button>
            </li>`,
          )}</ul>`
        : html`<p class="note">No model of your own stored yet.</p>`}
      <p class="note">Kept in this browser only (IndexedDB), for offline use too; nothing is uploaded.</p>
    `;
  }
}
customElements.define('own-model-panel', OwnModelPanel);
