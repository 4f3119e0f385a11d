import { LitElement, css, html, nothing } from 'lit';
import { html as staticHtml, unsafeStatic } from 'lit/static-html.js';
import { stretchContrast } from '../../core/render/image';
import { paint } from '../canvas';
import { type JobState, jobKind } from '../jobs/job-kinds';
import './results/index';
import type { ResultContext } from './results/result-view';

/**
 * A job's picture on the stage, by kind: while it runs, the image so far (modes that generate one) or the frame
 * it works on; when done, the result view its entry in src/ui/jobs/job-kinds.ts names.
 */
export class ModeResult extends LitElement {
  static override properties = { job: { attribute: false }, context: { attribute: false } };
  static override styles = css`
    :host { display: flex; flex-direction: column; min-height: 0; }
    canvas { display: block; flex: 1; min-height: 0; width: 100%; object-fit: contain; image-rendering: auto; }
    .mirrored { transform: scaleX(-1); }
    .muted { opacity: .45; }
  `;
  job: JobState | null = null;
  context: ResultContext | undefined;
  private readonly drawn = new WeakMap<HTMLCanvasElement, ImageBitmap>();

  override render() {
    const job = this.job;
    if (!job) return nothing;
    if (job.result) {
      const tag = unsafeStatic(jobKind(job.kind).resultView);
      return staticHtml`<${tag} .result=${job.result} .context=${this.context}></${tag}>`;
    }
    if (job.preview) return html`<canvas class="preview" role="img" aria-label="The image so far"></canvas>`;
    if (job.frozen) return html`<canvas class="frame muted ${job.mirrored ? 'mirrored' : ''}" role="img" aria-label="The frame being worked on"></canvas>`;
    return nothing;
  }

  override updated(): void {
    const job = this.job;
    if (!job || job.result) return;
    const canvas = this.renderRoot.querySelector('canvas');
    if (!canvas) return;
    if (job.preview) paint(canvas, stretchContrast(job.preview));
    else if (job.frozen && this.drawn.get(canvas) !== job.frozen) {
      this.drawn.set(canvas, job.frozen);
      canvas.width = job.frozen.width;
      canvas.height = job.frozen.height;
      canvas.getContext('2d')!.drawImage(job.frozen, 0, 0);
    }
  }
}
customElements.define('mode-result', ModeResult);
