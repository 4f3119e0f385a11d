import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import type { ActivationMaps } from '../../core/activation-maps';
import type { LiveHeatmap } from '../../core/live/settings';
import { colorize } from '../../core/render/image';
import type { AppState } from '../app-state';
import { paint } from '../canvas';
import { controlStyles } from '../control-styles';
import { cropRectInBox } from '../geometry';
import { computingText, overlayMap, sweepProgress } from '../live-status';
import { AppView } from './app-view';
import './activation-grid';
import './job-panel';

type Panel = 'job' | 'grid' | 'filters';

/**
 * The stage: the picture with the view's overlay over exactly the square the model saw, and beside it (below it
 * on portrait screens) the current view's or job's large picture — the activation grid, the first-layer filters,
 * or the job panel with its result. Says what is on screen: "Frozen", "Computing …" while the overlay belongs to
 * the previous view or picture (drawn faded), the occlusion sweep's progress where its map is drawn, and the
 * model's loading progress.
 */
export class StageView extends AppView {
  protected readonly watch = [
    'frame', 'frameSettings', 'settings', 'channel', 'media', 'mirrored', 'crop', 'pictureSize', 'frozen', 'ready', 'status',
    'visitorStatus', 'job', 'showJob', 'sourceGeneration', 'frameGeneration', 'strings', 'kiosk', 'modelError',
  ] as const;

  static override styles = [controlStyles, css`
    :host { display: block; min-width: 0; min-height: 0; }
    .stage { display: flex; gap: .75rem; height: 100%; }
    .picture { position: relative; flex: 2 1 0; min-width: 0; min-height: 0; background: #000; border-radius: .35rem; overflow: hidden; }
    .plain > .picture { flex: 1 1 0; }
    .panel { flex: 3 1 0; min-width: 0; min-height: 0; display: flex; flex-direction: column; gap: .4rem; background: #161616; border-radius: .35rem; padding: .5rem; overflow: auto; box-sizing: border-box; }
    .panel h2 { font-size: 1em; margin: 0; color: #bbb; font-weight: normal; }
    .panel activation-grid, .panel .fill { flex: 1; min-height: 0; }
    .filters canvas { width: 100%; height: 100%; object-fit: contain; image-rendering: pixelated; display: block; }
    .mirror { position: absolute; inset: 0; }
    .mirror.mirrored { transform: scaleX(-1); }
    .mirror video, .mirror img { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: contain; }
    canvas.overlay { position: absolute; pointer-events: none; transition: opacity .2s; }
    canvas.overlay.stale { opacity: .3; filter: grayscale(1); }
    .badges { position: absolute; z-index: 2; top: .5rem; left: .5rem; right: .5rem; display: flex; flex-wrap: wrap; gap: .4rem; justify-content: space-between; pointer-events: none; }
    .badge { padding: .2rem .6rem; border-radius: .3rem; font-weight: bold; min-width: 0; overflow-wrap: anywhere; }
    .frozen-badge { background: #6cf; color: #000; }
    .computing { margin-left: auto; background: rgba(20, 20, 20, .85); color: #fff; border: 1px solid #888; }
    .sweep { position: absolute; z-index: 2; display: flex; flex-direction: column; gap: .15rem; pointer-events: none; }
    .sweep svg { display: block; width: 100%; height: .45rem; background: rgba(0, 0, 0, .6); }
    .sweep rect { fill: #f6a21a; }
    .sweep span { align-self: center; background: rgba(20, 20, 20, .85); padding: .1rem .5rem; border-radius: .3rem; font-size: .9em; }
    .loading { position: absolute; inset: 0; display: grid; place-content: center; gap: .75rem; text-align: center; padding: 1rem; }
    .loading p { margin: 0; font-size: 1.2em; }
    .loading progress { width: min(20rem, 70vw); height: 1rem; accent-color: #f6a21a; }
    @media (orientation: portrait) {
      .stage { flex-direction: column; height: auto; }
      .stage > .picture, .stage > .panel { flex: none; height: min(calc(100vw - 2rem), 60vh); }
      .stage > .picture.sized { height: auto; max-height: 60vh; }
      .stage.has-job > .panel { order: -1; height: auto; min-height: min(calc(100vw - 2rem), 60vh); }
    }
  `];

  /** The first-layer filters, fetched from the worker when the Filters view is first shown. */
  private readonly filtersTask = new Task(this, {
    task: async ([wanted]) => (wanted ? this.actions?.filters() : undefined),
    args: () => [this.state?.settings.view === 'filters' && this.state.ready] as const,
  });
  private readonly paintedFilters = new WeakMap<HTMLCanvasElement, object>();
  private readonly resizes = new ResizeObserver(() => this.requestUpdate());
  private painted: { map: LiveHeatmap | undefined; frame: unknown; channel: number } = { map: undefined, frame: undefined, channel: -2 };

  private panel(s: Readonly<AppState>): Panel | undefined {
    if (s.showJob && s.job) return 'job';
    return s.settings.view === 'activations' ? 'grid' : s.settings.view === 'filters' ? 'filters' : undefined;
  }

  override render() {
    const s = this.state;
    if (!s) return nothing;
    const panel = this.panel(s);
    const computing = computingText(s);
    const sweep = sweepProgress(s);
    return html`<div class="stage ${panel ? `has-${panel}` : 'plain'}">
      <div class="picture ${s.pictureSize ? 'sized' : ''}">
        <div class="mirror ${s.mirrored ? 'mirrored' : ''}">${s.media ?? nothing}<canvas class="overlay ${computing ? 'stale' : ''}" aria-hidden="true"></canvas></div>
        ${s.frozen || computing
          ? html`<div class="badges">${s.frozen ? html`<span class="badge frozen-badge">Frozen</span>` : nothing}
              ${computing ? html`<span class="badge computing" data-testid="computing">${computing}</span>` : nothing}</div>`
          : nothing}
        ${sweep !== undefined
          ? html`<div class="sweep" data-testid="sweep"><svg viewBox="0 0 100 1" preserveAspectRatio="none" aria-hidden="true"><rect width=${(sweep * 100).toFixed(1)} height="1"></rect></svg>
              <span>Occlusion sweep ${Math.floor(sweep * 100)} %</span></div>`
          : nothing}
        ${!s.ready && !s.modelError
          ? html`<div class="loading"><p>${s.kiosk ? s.visitorStatus : s.status}</p><progress aria-label="Loading the model"></progress></div>`
          : nothing}
      </div>
      ${panel ? html`<section class="panel ${panel}" aria-label=${this.panelLabel(panel, s)}>${this.renderPanel(panel, s)}</section>` : nothing}
    </div>`;
  }

  private panelLabel(panel: Panel, s: Readonly<AppState>): string {
    if (panel === 'job') return 'Job result';
    return panel === 'grid' ? `Activation maps of ${s.settings.layer}` : 'First-layer filters';
  }

  private renderPanel(panel: Panel, s: Readonly<AppState>) {
    const actions = this.actions!;
    if (panel === 'job') return html`<job-panel class="fill"></job-panel>`;
    if (panel === 'filters') return html`<h2>The first layer’s filters</h2><div class="fill"><canvas role="img" aria-label="First-layer filters"></canvas></div>`;
    const channels = s.frame?.activations?.shape[2];
    return html`<h2>${s.settings.layer}${channels ? `: ${channels} channels` : ''}${s.channel >= 0 ? ` · channel ${s.channel} over the picture` : ' · pick one to see it over the picture'}</h2>
      <activation-grid .maps=${s.frame?.activations as ActivationMaps | undefined} .selected=${s.channel}
        @channel-selected=${(e: CustomEvent<number>) => actions.setChannel(e.detail)}></activation-grid>`;
  }

  override firstUpdated(): void {
    this.resizes.observe(this.renderRoot.querySelector('.picture')!);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizes.disconnect();
  }

  override updated(): void {
    const s = this.state;
    if (!s) return;
    const filters = this.renderRoot.querySelector<HTMLCanvasElement>('.filters canvas');
    const image = this.filtersTask.value;
    if (filters && image && this.paintedFilters.get(filters) !== image) {
      paint(filters, image);
      this.paintedFilters.set(filters, image);
    }
    this.placeOverlay(s);
  }

  /** Draws the overlay (heatmap or enlarged channel) over the square the model saw, and the sweep under it. */
  private placeOverlay(s: Readonly<AppState>): void {
    const canvas = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.overlay');
    const mirror = this.renderRoot.querySelector<HTMLElement>('.mirror');
    if (!canvas || !mirror) return;
    // Portrait screens size the picture by its aspect ratio (CSSOM: the CSP allows no inline style attribute).
    if (s.pictureSize) mirror.parentElement!.style.aspectRatio = `${s.pictureSize.width} / ${s.pictureSize.height}`;
    const map = overlayMap(s);
    if (!map || !s.crop || !s.pictureSize) {
      canvas.width = 0;
      this.painted = { map: undefined, frame: undefined, channel: -2 };
      return;
    }
    if (this.painted.frame !== s.frame || this.painted.channel !== s.channel || (s.settings.view !== 'activations' && this.painted.map !== map)) {
      paint(canvas, colorize(map, 'inferno', 0.8));
      this.painted = { map, frame: s.frame, channel: s.channel };
    }
    const box = { width: mirror.clientWidth, height: mirror.clientHeight };
    const r = cropRectInBox(box, s.pictureSize, s.crop);
    Object.assign(canvas.style, { left: `${r.left}px`, top: `${r.top}px`, width: `${r.width}px`, height: `${r.height}px` });
    const sweep = this.renderRoot.querySelector<HTMLElement>('.sweep');
    if (sweep) {
      const shown = cropRectInBox(box, s.pictureSize, s.crop, s.mirrored);
      Object.assign(sweep.style, { left: `${shown.left}px`, width: `${shown.width}px`, top: `${Math.max(0, shown.top + shown.height - sweep.offsetHeight)}px` });
    }
  }

  /** The canvases a figure export draws: the overlay, or the panel of views without one (grid, filters). */
  figureParts(): { overlay?: HTMLCanvasElement; panel?: HTMLCanvasElement } {
    const s = this.state;
    const overlay = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.overlay') ?? undefined;
    let panel: HTMLCanvasElement | undefined;
    if (s?.settings.view === 'filters') panel = this.renderRoot.querySelector<HTMLCanvasElement>('.filters canvas') ?? undefined;
    else if (s?.settings.view === 'activations' && s.channel < 0) panel = this.renderRoot.querySelector('activation-grid')?.shadowRoot?.querySelector('canvas') ?? undefined;
    return { ...(overlay ? { overlay } : {}), ...(panel ? { panel } : {}) };
  }
}
customElements.define('stage-view', StageView);
