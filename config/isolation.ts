/**
 * Cross-origin isolation (its own module, so that src/sw.ts bundles only these three headers): with COOP
 * same-origin and COEP require-corp on the page (and COEP on the worker script), `crossOriginIsolated` is true and `SharedArrayBuffer` exists, which the WASM backend's threads (a
 * pthread pool sharing one WebAssembly.Memory) need; without it the backend runs single-threaded. Everything the
 * app loads is same-origin (models, gallery, font, workers, camera frames, blob:/data: pictures), so
 * require-corp blocks nothing of ours. CORP same-origin keeps other sites from embedding our files. Sent by
 * `vite preview`, `npm run dev`, the e2e static server, and added by the service worker (src/sw.ts) to every
 * same-origin response it serves, so the installed app stays isolated offline and behind hosts that omit them.
 */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
