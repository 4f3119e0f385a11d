import { css, html, nothing } from 'lit';
import { TEACH_LIMITS } from '../../core/teach-classes';
import { controlStyles } from '../control-styles';
import { JOB_KINDS, jobStartable, teachProblem } from '../jobs/job-kinds';
import { AppView } from './app-view';

/**
 * Teach mode's panel: one row per class (its latest example, its name, a button to hold while showing examples to
 * the camera, the number of examples), adding and removing classes, Train (a job: progress and Cancel on the stage)
 * and Forget, and one line on what happened last or why training cannot start yet. Shown where Teach mode is offered
 * (the shell leaves it out of a kiosk whose file does not enable it). State lives in the TeachController.
 */
export class TeachPanel extends AppView {
  protected readonly watch = ['teach', 'ready', 'job', 'kiosk', 'teachOffered'] as const;
  static override styles = [controlStyles, css`
    :host { display: flex; flex-direction: column; gap: .5rem; }
    .hint { margin: 0; color: #bbb; font-size: .9rem; }
    ol { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: .4rem; }
    li { display: grid; grid-template-columns: 3rem minmax(0, 1fr) auto; grid-template-areas: 'thumb name remove' 'thumb hold hold'; gap: .3rem .4rem; align-items: center; }
    .thumb { grid-area: thumb; width: 3rem; height: 3rem; border-radius: .3rem; background: #202020; object-fit: cover; }
    .thumb.mirrored { transform: scaleX(-1); }
    input { grid-area: name; min-width: 0; width: 100%; box-sizing: border-box; }
    .remove { grid-area: remove; }
    .hold { grid-area: hold; touch-action: none; user-select: none; -webkit-user-select: none; display: flex; justify-content: space-between; gap: .5rem; }
    .hold[aria-pressed='true'] { background: #f6a21a; color: #000; border-color: #f6a21a; }
    .count { font-variant-numeric: tabular-nums; opacity: .85; }
    .buttons { display: flex; flex-wrap: wrap; gap: .3rem; }
    .train { background: #1d4f2a; border-color: #3c9a55; }
    button:disabled { opacity: .45; cursor: default; }
    .notice { margin: 0; padding: .35rem .5rem; border-radius: .3rem; font-size: .9rem; overflow-wrap: anywhere; }
    .notice.ok { background: #12301a; }
    .notice.error { background: #4a1010; border: 1px solid #f66; }
    .notice.todo { background: #2a2a2a; }
  `];

  override render() {
    const s = this.state;
    const actions = this.actions;
    if (!s?.teachOffered || !actions) return nothing;
    const t = s.teach;
    const problem = teachProblem(s);
    const busy = s.job?.state === 'running';
    const hold = (i: number, on: boolean) => (event: PointerEvent): void => {
      if (on) (event.currentTarget as HTMLElement).setPointerCapture?.(event.pointerId);
      actions.teachHold(i, on);
    };
    return html`<p class="hint">Hold an object up to the camera and keep its class's button pressed to add examples; then Train. Every view then explains your classifier.</p>
      <ol>${t.classes.map(
        (name, i) => html`<li>
          ${t.thumbnails[i]
            ? html`<img class="thumb ${s.mirrored ? 'mirrored' : ''}" src=${t.thumbnails[i]!} alt="The latest example of ${name}" />`
            : html`<span class="thumb" aria-hidden="true"></span>`}
          <input aria-label="Name of class ${i + 1}" maxlength=${TEACH_LIMITS.maxNameLength} .value=${name} @change=${(e: Event) => actions.teachRename(i, (e.target as HTMLInputElement).value)} />
          ${t.classes.length > TEACH_LIMITS.minClasses
            ? html`<button class="remove" aria-label="Remove ${name}" title="Remove this class and its examples" ?disabled=${t.capturing >= 0} @click=${() => void actions.teachRemoveClass(i)}>×</button>`
            : nothing}
          <button class="hold" aria-pressed=${t.capturing === i} ?disabled=${!s.ready || (t.capturing >= 0 && t.capturing !== i)}
            @pointerdown=${hold(i, true)} @pointerup=${hold(i, false)} @pointercancel=${hold(i, false)} @lostpointercapture=${hold(i, false)}
            @click=${(e: MouseEvent) => e.detail === 0 && void actions.teachCapture(i)}
            @contextmenu=${(e: Event) => e.preventDefault()}>
            <span>${t.capturing === i ? 'Adding examples…' : 'Hold to add examples'}</span><span class="count">${t.counts[i] ?? 0}</span>
          </button>
        </li>`,
      )}</ol>
      <div class="buttons">
        ${t.classes.length < TEACH_LIMITS.maxClasses ? html`<button ?disabled=${t.capturing >= 0} @click=${() => actions.teachAddClass()}>Add a class</button>` : nothing}
        <button class="train" ?disabled=${!jobStartable('teach', s)} title=${s.kiosk ? '' : `Key ${JOB_KINDS.teach.shortcut.key}`} @click=${() => actions.startJob('teach')}>${JOB_KINDS.teach.button(s)}</button>
        <button ?disabled=${busy || (!t.taught && t.counts.every((n) => n === 0))} @click=${() => void actions.teachForget()}>Forget</button>
      </div>
      ${t.notice
        ? html`<p class="notice ${t.notice.kind}" role="status">${t.notice.text}</p>`
        : problem && s.ready
          ? html`<p class="notice todo" role="status">To train: ${problem}.</p>`
          : t.changed && t.taught
            ? html`<p class="notice todo" role="status">Your examples changed: train again to use them.</p>`
            : nothing}`;
  }
}
customElements.define('teach-panel', TeachPanel);
