import { channelMap, type ActivationMaps } from '../core/activation-maps';
import type { LiveHeatmap } from '../core/live/settings';
import type { AppState } from './app-state';
import { SALIENCY_METHOD_WORDS, caption } from './kiosk-config';

/**
 * What the stage says about the picture on screen, from the app's state alone (pure, unit-tested in Node): the
 * caption, whether the overlay on screen is stale (computed for another view, class, method, layer or picture
 * than the one chosen now), and the occlusion sweep's progress.
 */
type S = Pick<AppState, 'frame' | 'frameSettings' | 'settings' | 'strings' | 'channel' | 'sourceGeneration' | 'frameGeneration' | 'ready'>;

/** The caption under the view tabs: the view's template with the explained class, the layer and the saliency method of the map on screen. */
export function captionText(s: Pick<S, 'frame' | 'frameSettings' | 'settings' | 'strings'>): string {
  const label = s.frame?.target.label.split(',')[0] ?? s.strings.topClass;
  const shown = s.frameSettings?.view === 'saliency' ? s.frameSettings.saliency : s.settings.saliency;
  return caption(s.strings.captions[s.settings.view], { label, layer: s.settings.layer, method: SALIENCY_METHOD_WORDS[shown] });
}

/** True when the frame on screen was computed for something other than what is chosen now. */
export function overlayStale(s: S): boolean {
  const f = s.frameSettings;
  const now = s.settings;
  if (!s.frame || !f) return true;
  if (s.frameGeneration !== s.sourceGeneration) return true;
  if (f.view !== now.view || f.perturb !== now.perturb) return true;
  if ((now.view === 'saliency' || now.view === 'gradcam' || now.view === 'occlusion') && f.target !== now.target) return true;
  if (now.view === 'saliency' && f.saliency !== now.saliency) return true;
  return now.view === 'activations' && f.layer !== now.layer;
}

/** "Computing Grad-CAM…" while the overlay is stale (once the model is ready), else undefined. */
export function computingText(s: S): string | undefined {
  if (!s.ready || !overlayStale(s)) return undefined;
  return s.frame ? `Computing ${s.strings.viewNames[s.settings.view]}…` : 'Computing…';
}

/** The occlusion sweep's share done (0–1) while it is still running, else undefined. */
export function sweepProgress(s: S): number | undefined {
  const p = s.frame?.occlusionProgress;
  return s.settings.view === 'occlusion' && s.frameSettings?.view === 'occlusion' && p !== undefined && p < 1 ? p : undefined;
}

/** The map drawn over the picture: the view's heatmap, or the enlarged channel of the activations; none for the grid and filters. */
export function overlayMap(s: S): LiveHeatmap | undefined {
  const view = s.settings.view;
  const acts = s.frame?.activations;
  if (view === 'activations') {
    if (s.channel < 0 || !acts || s.channel >= acts.shape[2]) return undefined;
    return { width: acts.shape[1], height: acts.shape[0], data: channelMap(acts as ActivationMaps, s.channel) };
  }
  return view === 'filters' ? undefined : s.frame?.heatmap;
}

/**
 * The layers the activation-grid picker offers: MobileNet's rectifier outputs (names ending in '_relu'), or every
 * spatial layer of a model that names its layers otherwise (an own model).
 */
export function gridLayers<L extends { name: string }>(layers: readonly L[]): L[] {
  const relu = layers.filter((l) => l.name.endsWith('_relu'));
  return relu.length > 0 ? relu : [...layers];
}
