import { LIVE_VIEWS, type LiveView } from '../core/live/settings';
import { type ModelId, isModelId } from '../core/models';
import { isOwnModelName } from '../core/own-model';

/**
 * Kiosk configuration: what an operator edits (public/kiosk.json, or another same-origin file named by
 * `?kiosk=file.json`). Pure data and validation, no DOM, so it is unit-tested in Node. Every problem in the file
 * is reported in words and the default is used for that key, so a typo never leaves the kiosk dark.
 */

/**
 * Everything a visitor reads on the kiosk; captions may use {label} (the explained class), {layer} and {method}
 * (the saliency method that computed the map on screen).
 */
export interface UiStrings {
  title: string;
  viewNames: Record<LiveView, string>;
  captions: Record<LiveView, string>;
  /** Shown large over the picture while the attract loop runs. */
  attractPrompt: string;
  /** Heading of the top-5 bars. */
  networkSees: string;
  /** Stands for {label} before the first frame is classified. */
  topClass: string;
}

/** The words on screen when no kiosk file changes them. */
export const DEFAULT_STRINGS: UiStrings = {
  title: 'ConvLens',
  viewNames: { activations: 'Activations', saliency: 'Saliency', gradcam: 'Grad-CAM', occlusion: 'Occlusion', filters: 'Filters' },
  captions: {
    activations: 'Each tile is one channel of layer {layer}: bright where that feature detector fires on the picture. Click a tile to enlarge it.',
    saliency: 'Bright pixels are those whose change would most change the score of “{label}” ({method}).',
    gradcam: 'Grad-CAM: the regions whose last-layer features raise the score of “{label}”.',
    occlusion: 'Occlusion: a grey patch slides over the picture; bright where covering it lowers the “{label}” score most.',
    filters: 'The first layer’s colour filters: the edge and colour detectors that everything else is built from.',
  },
  attractPrompt: 'Show something to the camera — then touch the screen to explore what the network sees.',
  networkSees: 'The network sees',
  topClass: 'the top class',
};

/** A kiosk's settings, as read from its file (defaults filled in). */
export interface KioskConfig {
  /** Live views offered, in this order; the first is where the kiosk starts and returns after idle. */
  views: LiveView[];
  /** Layer the activation grid starts on (checked against the model once it is loaded). */
  layer: string | undefined;
  /** 'standard' or 'lite'; else measured (or `ownModel`). */
  model: ModelId | undefined;
  /**
   * The name of a model stored in this browser ("Your own model", added there before the kiosk starts) to run
   * instead of a bundled one; when it is not stored, a problem is reported and the bundled model runs.
   */
  ownModel: string | undefined;
  /** Seconds without a touch before the attract loop starts cycling the views. */
  attractAfterSeconds: number;
  /** Seconds each view stays up in the attract loop. */
  attractViewSeconds: number;
  /** Seconds without a touch before the visitor's session is reset (start view, snapshots forgotten). */
  idleResetSeconds: number;
  /** Seconds between the kiosk's own retries when the model cannot be loaded (nobody presses "Try again"). */
  retrySeconds: number;
  /** Show the on-demand tools (explain thoroughly, gradient-step images, gallery). */
  tools: boolean;
  /** Offer Teach mode (visitors teach their own classes; the idle reset forgets them). Off unless the file says so. */
  teach: boolean;
  strings: UiStrings;
}

/** The settings used for every key the kiosk file leaves out or gets wrong. */
export const DEFAULT_KIOSK_CONFIG: KioskConfig = {
  views: [...LIVE_VIEWS],
  layer: undefined,
  model: undefined,
  ownModel: undefined,
  attractAfterSeconds: 45,
  attractViewSeconds: 8,
  idleResetSeconds: 120,
  retrySeconds: 30,
  tools: true,
  teach: false,
  strings: DEFAULT_STRINGS,
};

/** A parsed kiosk file: the settings, and what was wrong in it. */
export interface ParsedKioskConfig {
  config: KioskConfig;
  /** One sentence per problem found in the file (unknown key, wrong type, unknown view …). */
  problems: string[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates an operator's kiosk file (already JSON-parsed); what is wrong is reported and replaced by defaults. */
export function parseKioskConfig(raw: unknown): ParsedKioskConfig {
  const problems: string[] = [];
  const config: KioskConfig = { ...DEFAULT_KIOSK_CONFIG, strings: { ...DEFAULT_STRINGS } };
  if (!isObject(raw)) return { config, problems: ['the kiosk file must hold a JSON object'] };

  const seconds = (key: 'attractAfterSeconds' | 'attractViewSeconds' | 'idleResetSeconds' | 'retrySeconds', value: unknown): void => {
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) config[key] = value;
    else problems.push(`"${key}" must be a positive number of seconds`);
  };

  for (const [key, value] of Object.entries(raw)) {
    switch (key) {
      case 'views': {
        const views = Array.isArray(value) ? value : [];
        const known = views.filter((v): v is LiveView => (LIVE_VIEWS as readonly unknown[]).includes(v));
        for (const v of views) if (!known.includes(v as LiveView)) problems.push(`unknown view ${JSON.stringify(v)} (views are ${LIVE_VIEWS.join(', ')})`);
        const unique = [...new Set(known)];
        if (unique.length > 0) config.views = unique;
        else problems.push('"views" must list at least one known view');
        break;
      }
      case 'layer':
        if (typeof value === 'string' && value) config.layer = value;
        else problems.push('"layer" must be a layer name such as "conv_pw_5_relu"');
        break;
      case 'model':
        if (typeof value === 'string' && isModelId(value)) config.model = value;
        else problems.push(`unknown model ${JSON.stringify(value)} (models are standard, lite; a model of your own goes in "ownModel")`);
        break;
      case 'ownModel':
        if (typeof value === 'string' && isOwnModelName(value)) config.ownModel = value;
        else problems.push(`"ownModel" must name a model stored in this browser (lower-case letters, digits, - or _), got ${JSON.stringify(value)}`);
        break;
      case 'attractAfterSeconds':
      case 'attractViewSeconds':
      case 'idleResetSeconds':
      case 'retrySeconds':
        seconds(key, value);
        break;
      case 'tools':
        if (typeof value === 'boolean') config.tools = value;
        else problems.push('"tools" must be true or false');
        break;
      case 'teach':
        if (typeof value === 'boolean') config.teach = value;
        else problems.push('"teach" must be true or false');
        break;
      case 'strings':
        config.strings = parseStrings(value, problems);
        break;
      default:
        if (!key.startsWith('$') && !key.startsWith('_')) problems.push(`unknown setting "${key}"`); // "$comment"/"_note" are for humans
    }
  }
  if (config.idleResetSeconds < config.attractAfterSeconds) {
    problems.push('"idleResetSeconds" is shorter than "attractAfterSeconds": the attract loop starts at the reset');
  }
  return { config, problems };
}

function parseStrings(value: unknown, problems: string[]): UiStrings {
  const strings: UiStrings = { ...DEFAULT_STRINGS, viewNames: { ...DEFAULT_STRINGS.viewNames }, captions: { ...DEFAULT_STRINGS.captions } };
  if (!isObject(value)) {
    problems.push('"strings" must be an object');
    return strings;
  }
  for (const [key, v] of Object.entries(value)) {
    if (key === 'viewNames' || key === 'captions') {
      if (!isObject(v)) {
        problems.push(`"strings.${key}" must be an object keyed by view`);
        continue;
      }
      for (const [view, text] of Object.entries(v)) {
        if (!(LIVE_VIEWS as readonly string[]).includes(view)) problems.push(`"strings.${key}": unknown view "${view}"`);
        else if (typeof text !== 'string' || !text) problems.push(`"strings.${key}.${view}" must be text`);
        else strings[key][view as LiveView] = text;
      }
    } else if (key === 'title' || key === 'attractPrompt' || key === 'networkSees' || key === 'topClass') {
      if (typeof v === 'string' && v) strings[key] = v;
      else problems.push(`"strings.${key}" must be text`);
    } else {
      problems.push(`unknown string "${key}"`);
    }
  }
  return strings;
}

/** How each saliency method is named in captions ({method}). */
export const SALIENCY_METHOD_WORDS = { vanilla: 'gradient saliency', guided: 'guided backprop', smoothgrad: 'SmoothGrad: gradients averaged over noisy copies' } as const;

/** Fills {label}, {layer} and {method} in a caption template. */
export function caption(template: string, values: { label: string; layer: string; method?: string }): string {
  return template.replaceAll('{label}', values.label).replaceAll('{layer}', values.layer).replaceAll('{method}', values.method ?? SALIENCY_METHOD_WORDS.vanilla);
}

/**
 * Where the kiosk file comes from: `?kiosk` alone → kiosk.json beside the app; `?kiosk=name.json` → that file,
 * but only on the app's own origin (no request ever leaves it).
 */
export function kioskConfigUrl(param: string, base: string): { url: string } | { problem: string } {
  const url = new URL(param || 'kiosk.json', base);
  if (url.origin !== new URL(base).origin) return { problem: `the kiosk file must be on this site, not ${url.origin}` };
  return { url: url.href };
}

/**
 * Reads the operator's kiosk file named by the `?kiosk` parameter: the configuration, and one sentence per problem
 * (the file unreadable, on another origin, or wrong in places), with the defaults used for what is wrong.
 */
export async function loadKioskConfig(param: string, pageUrl: string, fetchFile: typeof fetch = fetch): Promise<ParsedKioskConfig> {
  const where = kioskConfigUrl(param, pageUrl);
  if ('problem' in where) return { config: DEFAULT_KIOSK_CONFIG, problems: [where.problem] };
  try {
    const response = await fetchFile(where.url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return parseKioskConfig(await response.json());
  } catch (err) {
    return { config: DEFAULT_KIOSK_CONFIG, problems: [`the kiosk file ${where.url} could not be read (${err instanceof Error ? err.message : String(err)}); using the defaults`] };
  }
}
