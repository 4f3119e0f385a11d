/// <reference lib="webworker" />
import { clientsClaim } from 'workbox-core';
import type { WorkboxPlugin } from 'workbox-core/types.js';
import { ExpirationPlugin } from 'workbox-expiration';
import { type PrecacheEntry, addPlugins, cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { CacheFirst, NetworkFirst } from 'workbox-strategies';
import { ISOLATION_HEADERS } from '../config/isolation.ts';

/**
 * ConvLens's service worker (built by vite-plugin-pwa, injectManifest: config/pwa.ts fills in the precache
 * manifest). It does what the generated Workbox worker did — precache and serve the app shell, the worker
 * bundle, font, icons, gallery and both models; the shell for every navigation; kiosk *.json network-first —
 * and in addition puts the cross-origin isolation headers (config/isolation.ts) on every
 * same-origin response it serves, so that the installed app is `crossOriginIsolated` (SharedArrayBuffer for the
 * WASM backend's threads) offline, and also when its files were cached from a host that did not send them.
 */

declare let self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | PrecacheEntry)[] };

/**
 * A Workbox plugin that adds COOP/COEP/CORP to the response a strategy hands to the page. Only same-origin,
 * readable responses are touched ('basic', or 'default' for ones Workbox rebuilt); opaque and error responses
 * cannot be copied and pass unchanged. The cached copy is left as the server sent it.
 */
const isolationHeaders: WorkboxPlugin = {
  handlerWillRespond: async ({ request, response }) => {
    if (new URL(request.url).origin !== self.location.origin) return response;
    if (response.type !== 'basic' && response.type !== 'default') return response;
    const headers = new Headers(response.headers);
    for (const [name, value] of Object.entries(ISOLATION_HEADERS)) headers.set(name, value);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  },
};

// Updates wait until the page asks (src/ui/pwa.ts: workbox-window's messageSkipWaiting, or the same message by hand).
self.addEventListener('message', (event: ExtendableMessageEvent) => {
  if ((event.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});
// The first installation takes over the open page at once: a kiosk loaded once keeps working offline.
clientsClaim();

addPlugins([isolationHeaders]);
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
// Any navigation (e.g. /?model=lite&backend=webgl) gets the precached shell.
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')));
// Kiosk settings files beside the app (kiosk.json, ?kiosk=other.json) are edited in place by operators:
// network first so an edit shows on the next reload, the last copy when offline.
registerRoute(
  ({ url, sameOrigin }) => sameOrigin && /^\/[^/]+\.json$/.test(url.pathname),
  new NetworkFirst({ cacheName: 'convlens-settings', networkTimeoutSeconds: 4, plugins: [new ExpirationPlugin({ maxEntries: 16 }), isolationHeaders] }),
  'GET',
);
// The gallery's 183 photos are not precached (config/pwa.ts keeps the first download within its budget): each is
// kept the first time the worker fetches it (the first gallery job fetches them all), then served from here, also
// offline. A photo may change under its name only with a new app version, so a new version starts this cache afresh.
const PHOTO_CACHE = 'convlens-gallery-photos';
self.addEventListener('activate', (event: ExtendableEvent) => event.waitUntil(caches.delete(PHOTO_CACHE)));
registerRoute(
  ({ url, sameOrigin }) => sameOrigin && /\/gallery\/photos\/[^/]+\.jpg$/.test(url.pathname),
  new CacheFirst({ cacheName: PHOTO_CACHE, plugins: [new ExpirationPlugin({ maxEntries: 400 }), isolationHeaders] }),
  'GET',
);
