import { css, html, nothing } from 'lit';
import { IMAGENET_LABELS, searchLabels } from '../../core/labels';
import type { PresetName } from '../../core/optimize/presets';
import type { AppState } from '../app-state';
import { controlStyles } from '../control-styles';
import { GOAL_CLASSES, JOB_GROUPS, JOB_KINDS, JOB_KIND_IDS, jobKind, jobStartable, jobStatusText } from '../jobs/job-kinds';
import { AppView } from './app-view';

/**
 * The buttons that start the on-demand modes, grouped, read from the job registry (src/ui/jobs/job-kinds.ts):
 * disabled while the model loads or a job runs. The class to aim at is picked by touch from common classes (a
 * search field too, outside kiosk mode); the regulariser outside kiosk mode.
 */
export class JobLauncher extends AppView {
  protected readonly watch = ['job', 'showJob', 'ready', 'tools', 'goal', 'preset', 'detail', 'uapReady', 'settings', 'channel', 'kiosk', 'labels'] as const;
  static override properties = { query: { state: true } };
  static override styles = [controlStyles, css`
    :host { display: flex; flex-direction: column; gap: .75rem; }
    h2 { font-size: .95em; margin: 0 0 .4rem; color: #bbb; font-weight: normal; }
    .buttons, .choices { display: flex; flex-wrap: wrap; gap: .3rem; }
    .choices { margin-bottom: .4rem; }
    button:disabled { opacity: .45; cursor: default; }
    button[aria-pressed='true'] { background: #6cf; color: #000; border-color: #6cf; }
    label { display: flex; flex-direction: column; gap: .25rem; margin-bottom: .4rem; }
    label.check { flex-direction: row; align-items: center; margin-top: .4rem; }
    select, input[type='search'] { width: 100%; box-sizing: border-box; }
    .last { margin: 0; }
    .hint { margin: .2rem 0 0; color: #999; font-size: .85em; }
  `];
  query = '';

  override render() {
    const s = this.state;
    if (!s?.tools || !this.actions) return nothing;
    const actions = this.actions;
    return html`${JOB_GROUPS.map(
        ({ group, heading }) => html`<section>
          <h2>${heading}</h2>
          ${group === 'generate' ? this.goalControls(s) : nothing}
          <div class="buttons">${JOB_KIND_IDS.filter((id) => JOB_KINDS[id].group === group && (jobKind(id).available?.(s) ?? true)).map(
            (id) => html`<button ?disabled=${!jobStartable(id, s)} title=${s.kiosk ? '' : `Key ${JOB_KINDS[id].shortcut.key}`} @click=${() => actions.startJob(id)}>${JOB_KINDS[id].button(s)}</button>`,
          )}</div>
          ${group === 'generate' && s.uapReady && s.settings.perturb && !(s.showJob && s.job?.kind === 'uap')
            ? html`<p class="hint">The universal perturbation is added to the camera. <button @click=${() => actions.setPerturb(false)}>Stop</button></p>`
            : nothing}
        </section>`,
      )}
      ${s.kiosk
        ? nothing
        : html`<section>
            <label class="check"><input type="checkbox" .checked=${s.detail === 'detail'} @change=${(e: Event) => actions.setDetail((e.target as HTMLInputElement).checked ? 'detail' : 'default')} /> More detail (for lectures)</label>
            <p class="hint">${s.detail === 'detail'
              ? 'Finer grids, more steps: several minutes per job.'
              : 'Each job is sized to finish within about a minute.'}</p>
          </section>`}
      ${s.job && !s.showJob
        ? html`<section><p class="last">${jobStatusText(s.job)}</p><button @click=${() => actions.showJob(true)}>Show it on the stage</button></section>`
        : nothing}`;
  }

  private goalControls(s: Readonly<AppState>) {
    const actions = this.actions!;
    const matches = !s.kiosk && this.query.length >= 2 ? searchLabels(s.labels, this.query, 6) : [];
    // ImageNet's common classes for the bundled models; an own model's first classes otherwise.
    const imagenet = s.labels.length === IMAGENET_LABELS.length && s.labels.every((l, i) => l === IMAGENET_LABELS[i]);
    const common = imagenet ? GOAL_CLASSES : s.labels.slice(0, 12).map((label, index) => ({ index, label }));
    const choose = (goal: { index: number; label: string }): void => {
      actions.setGoal(goal);
      this.query = '';
    };
    return html`<div role="group" aria-label="Class to aim at">
        <p class="label">Class to aim at: <strong>${s.goal.label.split(',')[0]}</strong></p>
        <div class="choices">${common.map((c) => html`<button aria-pressed=${c.index === s.goal.index} @click=${() => choose(c)}>${c.label}</button>`)}</div>
        ${s.kiosk
          ? nothing
          : html`<label>Another class
              <input type="search" placeholder="type to find a class" .value=${this.query} @input=${(e: Event) => (this.query = (e.target as HTMLInputElement).value)} /></label>
            <div class="choices">${matches.map((m) => html`<button @click=${() => choose(m)}>${m.label.split(',')[0]}</button>`)}</div>
            <label>Regulariser
              <select @change=${(e: Event) => actions.setPreset((e.target as HTMLSelectElement).value as PresetName)}>
                <option value="l2" ?selected=${s.preset === 'l2'}>L2 (Simonyan)</option>
                <option value="yosinski" ?selected=${s.preset === 'yosinski'}>Blur + decay (Yosinski)</option>
                <option value="lucid-lite" ?selected=${s.preset === 'lucid-lite'}>Jitter + blur on pixels</option>
                <option value="lucid" ?selected=${s.preset === 'lucid'}>Fourier + transforms (Lucid)</option>
              </select>
            </label>`}
      </div>`;
  }
}
customElements.define('job-launcher', JobLauncher);
