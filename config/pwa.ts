import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type VitePWAOptions, VitePWA } from 'vite-plugin-pwa';
import type { PluginOption } from 'vite';

/**
 * The offline, installable app: a Workbox service worker (src/sw.ts, built by vite-plugin-pwa with
 * injectManifest) that precaches the app shell, the inference worker bundle, the font, the gallery, the
 * manifest and icons and BOTH models, and a web app manifest. The page registers the worker itself (src/ui/pwa.ts, production builds
 * only) and announces new versions without forcing them (registerType 'prompt'). The worker also puts the
 * cross-origin isolation headers on what it serves (see src/sw.ts).
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PUBLIC_MODELS = resolve(ROOT, 'public', 'models');

/**
 * Workbox skips (plain workbox-build) or refuses (vite-plugin-pwa) files above 2 MiB by default. The largest
 * file we precache is the GrabCut worker (assets/grabcut.worker-*.js: opencv.js 4.12 with its WebAssembly inlined
 * as base64, 10.79 MB); the next are the standard model's shard group29-shard1of1 (3,076,000 bytes) and the
 * inference worker bundle (about 2.3 MB). 12 MiB covers them with room to spare, and a file that outgrows it
 * fails the build loudly instead of silently missing from the offline cache.
 */
const MAX_PRECACHED_FILE_BYTES = 12 * 1024 * 1024;

/** scripts/models.sha256 ("<hex>  <path>" lines, as `sha256sum` writes them) → path → hex. */
function pinnedSums(): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of readFileSync(resolve(ROOT, 'scripts', 'models.sha256'), 'utf8').split('\n')) {
    const m = /^([0-9a-fA-F]{64})\s+\*?(\S+)$/.exec(line.trim());
    if (m) sums.set(m[2]!, m[1]!.toLowerCase());
  }
  return sums;
}

type ManifestTransform = NonNullable<VitePWAOptions['injectManifest']['manifestTransforms']>[number];

/**
 * Gives every model file's precache entry `integrity: 'sha256-<base64>'` from scripts/models.sha256 (the sums
 * `npm run setup` and the in-app loader verify against). Workbox honours it: workbox-precaching 7.4
 * PrecacheController.install() builds each install request as `new Request(url, {integrity, cache, …})`, so
 * the browser rejects a response whose bytes do not match, the install event fails and the new service worker
 * is discarded — nothing corrupt is cached (PrecacheStrategy also only "repairs" a missing entry from the
 * network when the manifest has an integrity). The build fails when a pinned model file is missing from the
 * precache or the copy being shipped differs from its pinned sum (a service worker that can never install).
 */
export const modelIntegrity: ManifestTransform = (entries) => {
  const sums = pinnedSums();
  const seen = new Set<string>();
  const manifest = entries.map((entry) => {
    const m = /(?:^|\/)models\/(.+)$/.exec(entry.url);
    if (!m) return entry;
    const file = m[1]!;
    const hex = sums.get(file);
    if (!hex) throw new Error(`PWA build: ${entry.url} is precached but has no pinned SHA-256 in scripts/models.sha256`);
    const shipped = createHash('sha256').update(readFileSync(resolve(PUBLIC_MODELS, file))).digest('hex');
    if (shipped !== hex) throw new Error(`PWA build: public/models/${file} does not match its pinned SHA-256 (run npm run setup)`);
    seen.add(file);
    return { ...entry, integrity: `sha256-${Buffer.from(hex, 'hex').toString('base64')}` };
  });
  const missing = [...sums.keys()].filter((file) => !seen.has(file));
  if (missing.length > 0) throw new Error(`PWA build: pinned model files missing from the precache: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
  return { manifest };
};

/**
 * What the first visit may download into the precache, bytes: both models (12.4 MB), code and the WASM binaries
 * (4.1 MB), the gallery's top folder (2.9 MB: the 7 sample pictures, 2.4 MB, and the shipped features) and icons
 * made 19.46 MB in 140 files (19.00 MB in 134 before the photo gallery); the GrabCut worker (OpenCV, about
 * 10.8 MB, fetched by the app only when a cut-out is asked for) is precached too, so the cut-out works offline,
 * which raised the budget from 20 MB to 31 MB (README, "Offline and install"). Precaching the 183 photos as well
 * would add 2.9 MB, so they are cached at run time instead (globPatterns below, src/sw.ts).
 */
export const PRECACHE_BUDGET_BYTES = 31_000_000;

/** Fails the build when the precache manifest's files add up to more than PRECACHE_BUDGET_BYTES. */
export const precacheBudget: ManifestTransform = (entries) => {
  const total = entries.reduce((n, e) => n + e.size, 0);
  if (total > PRECACHE_BUDGET_BYTES) {
    throw new Error(`PWA build: the precache is ${(total / 1e6).toFixed(2)} MB in ${entries.length} files, over its budget of ${PRECACHE_BUDGET_BYTES / 1e6} MB (config/pwa.ts)`);
  }
  return { manifest: entries };
};

export const PWA_OPTIONS: Partial<VitePWAOptions> = {
  strategies: 'injectManifest',
  registerType: 'prompt',
  injectRegister: false, // src/ui/pwa.ts registers it with workbox-window
  filename: 'sw.ts', // built to sw.js
  manifestFilename: 'manifest.webmanifest',
  includeManifestIcons: false, // icons/*.png are in globPatterns (with the apple-touch icon)
  manifest: {
    name: 'ConvLens',
    short_name: 'ConvLens',
    description: 'See what a ConvNet sees: live activation maps, saliency, Grad-CAM and more from your camera, offline.',
    lang: 'en',
    start_url: './',
    scope: './',
    display: 'standalone',
    display_override: ['fullscreen', 'standalone'],
    orientation: 'any',
    background_color: '#111111',
    theme_color: '#111111',
    categories: ['education', 'science'],
    icons: [
      { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
      { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
      { src: 'icons/icon-512-maskable.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
    ],
  },
  // src/sw.ts is the service worker; the build bundles it (Workbox included) into one self-contained sw.js and
  // injects the precache manifest below into it.
  srcDir: 'src',
  injectManifest: {
    // App shell and worker bundle (html/js/css), the WASM backend's three binaries (.wasm: CPU kiosks run their
    // forward passes on it, offline too), the font (woff2 only: every browser we serve takes it), the icons, the gallery (images, gallery.json, LICENSES.md) and both models: model.json plus the
    // extension-less weight shards. Top-level *.json (kiosk.json and other operator-edited kiosk files) is
    // deliberately not precached: src/sw.ts fetches it network-first.
    // The gallery: its top folder (the 7 sample pictures, gallery.json, the shipped features, LICENSES.md) and the
    // photos' ATTRIBUTION.csv and LICENSE files; the 183 photos themselves (2.9 MB) are not needed at start and are
    // cached at run time, when a gallery job first fetches them (src/sw.ts).
    globPatterns: ['*.html', 'assets/**/*.{js,css,woff2,wasm}', 'icons/*.png', 'gallery/*', 'gallery/photos/*.{csv,txt}', 'models/*/model.json', 'models/*/group*-shard*'],
    maximumFileSizeToCacheInBytes: MAX_PRECACHED_FILE_BYTES,
    manifestTransforms: [modelIntegrity, precacheBudget],
    // Hashed file names carry their own version: no cache-busting revision needed for them.
    dontCacheBustURLsMatching: /^assets\//,
    // A classic script (registered without {type: 'module'}), as the generated worker was.
    rollupFormat: 'iife',
    sourcemap: false,
  },
  devOptions: { enabled: false }, // no service worker under `npm run dev`
};

/** The plugin list entry for vite.config.ts; warns instead of building a broken worker when models are absent. */
export function pwa(): PluginOption {
  if (!existsSync(PUBLIC_MODELS)) console.warn('PWA build: public/models is missing (run npm run setup); the precache will fail the build');
  return VitePWA(PWA_OPTIONS);
}
