import { css, html, nothing } from 'lit';
import { controlStyles } from '../control-styles';
import { jobStatusText, jobTimeText } from '../jobs/job-kinds';
import { AppView } from './app-view';
import './mode-result';

/**
 * The running or finished job on the stage, for every mode alike: its title, what it is doing (or how it ended)
 * in plain words, the progress bar and Cancel while it runs, the picture by kind (mode-result), and the way back
 * to the live view.
 */
export class JobPanel extends AppView {
  protected readonly watch = ['job', 'frame', 'settings', 'mirrored'] as const;
  static override styles = [controlStyles, css`
    :host { display: flex; flex-direction: column; gap: .5rem; height: 100%; min-height: 0; }
    .head { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; justify-content: space-between; }
    h2 { font-size: 1.1em; margin: 0; flex: 1 1 12em; min-width: 0; }
    .status { margin: 0; color: #ddd; }
    .time { margin: 0; color: #bbb; font-variant-numeric: tabular-nums; }
    .running { display: flex; gap: .5rem; align-items: center; }
    progress { flex: 1; height: 1rem; accent-color: #f6a21a; }
    mode-result { flex: 1; min-height: 0; }
  `];

  /** Ticks once a second while a job runs, so "so far" and "left" move between the worker's reports. */
  private ticker: ReturnType<typeof setInterval> | undefined;
  /** Start time of the job last brought into view. */
  private shownStart: number | undefined;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopTicking();
  }

  private stopTicking(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  override updated(): void {
    const job = this.state?.job;
    const running = job?.state === 'running';
    if (running && this.ticker === undefined) this.ticker = setInterval(() => this.requestUpdate(), 1000);
    else if (!running) this.stopTicking();
    // A job started from the side panel below the stage (a phone in portrait) would run out of sight: bring the
    // panel's head into view once per job, only when it is not on screen already (never on a wide layout).
    if (job && job.startedAt !== this.shownStart) {
      this.shownStart = job.startedAt;
      const r = this.getBoundingClientRect();
      if (r.height > 0 && (r.top < 0 || r.top > window.innerHeight - 80)) this.scrollIntoView({ block: 'start', behavior: 'smooth' });
    }
  }

  override render() {
    const s = this.state;
    const job = s?.job;
    if (!s || !job || !this.actions) return nothing;
    const actions = this.actions;
    return html`<div class="head">
        <h2>${job.title}</h2>
        <button class="back" @click=${() => actions.showJob(false)}>Back to the live view</button>
      </div>
      <p class="status" role="status" data-testid="job-status">${jobStatusText(job)}</p>
      ${job.state === 'running'
        ? html`<div class="running"><progress max="1" .value=${job.progress} aria-label="Job progress"></progress>
            <button @click=${() => actions.cancelJob()}>Cancel</button></div>
            <p class="time" data-testid="job-time">${jobTimeText(job, performance.now())}</p>`
        : nothing}
      <mode-result .job=${job} .context=${{
        frozen: job.frozen, mirrored: job.mirrored, live: s.frame?.features, thumbnail: actions.thumbnail,
        perturb: s.settings.perturb, setPerturb: (on: boolean) => actions.setPerturb(on), perturbed: s.frame?.perturbed, liveMirrored: s.mirrored,
      }}></mode-result>`;
  }
}
customElements.define('job-panel', JobPanel);
