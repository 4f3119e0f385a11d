import { LitElement, css } from 'lit';
import type { PerturbedView } from '../../../core/live/settings';
import type { JobResult } from '../../../../workers/protocol';

/** What a result view may use besides its result. */
export interface ResultContext {
  /** The frame the job worked on (the model's 224×224 view), for results drawn over it. */
  frozen: ImageBitmap | undefined;
  /** Draw results of the frame mirrored, as the live picture was when the job started. */
  mirrored: boolean;
  /** The live frame's feature vector (moves the dot on a map). */
  live: Float32Array | undefined;
  /** A gallery picture's thumbnail URL. */
  thumbnail(id: string, name: string): string;
  /** The universal perturbation is added to live frames (LiveSettings.perturb). */
  perturb?: boolean;
  /** Turns adding the universal perturbation to live frames on or off. */
  setPerturb?(on: boolean): void;
  /** The latest live frame's perturbed picture and clean prediction, while the perturbation is applied. */
  perturbed?: PerturbedView | undefined;
  /**
   * Draw live pictures (the perturbed camera) mirrored, as the live picture is now — it follows a change of source
   * made after the job started, unlike `mirrored`.
   */
  liveMirrored?: boolean;
}

/** A probability as a percentage with one decimal. */
export const pct = (p: number): string => `${(p * 100).toFixed(1)} %`;
/** The first of an ImageNet label's comma-separated names. */
export const firstName = (label: string): string => label.split(',')[0]!;

/**
 * Base of the result views (one per job kind, named in src/ui/jobs/job-kinds.ts): `result` is the worker's
 * JobResult of that kind; views fill the stage's job panel.
 */
export abstract class ResultView<K extends JobResult['kind']> extends LitElement {
  static override properties = { result: { attribute: false }, context: { attribute: false } };
  static baseStyles = css`
    :host { display: flex; flex-direction: column; gap: .5rem; height: 100%; min-height: 0; }
    canvas { display: block; min-height: 0; max-width: 100%; object-fit: contain; background: #202020; border-radius: .25rem; }
    .main { flex: 1; width: 100%; }
    .mirrored { transform: scaleX(-1); }
    p { margin: 0; line-height: 1.4; }
  `;
  result: Extract<JobResult, { kind: K }> | undefined;
  context: ResultContext | undefined;
}
