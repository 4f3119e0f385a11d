import { defineConfig } from 'vite';
import { ISOLATION_HEADERS, SECURITY_HEADERS, cspMeta, grabCutWorkerHeaders } from './config/csp.ts';
import { pwa } from './config/pwa.ts';
import { wasmThreadsMinifySafe } from './config/wasm-threads.ts';

export default defineConfig({
  // Everything is served from the app's own origin: models under /models, the gallery under /gallery.
  publicDir: 'public',
  // The inference worker is bundled on its own: its plugins are listed here (the WASM backend's threads, see
  // config/wasm-threads.ts).
  worker: { format: 'es', plugins: () => [wasmThreadsMinifySafe()] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  // Offline PWA (service worker + manifest) and the Content-Security-Policy: see config/pwa.ts, config/csp.ts.
  plugins: [cspMeta(), grabCutWorkerHeaders(), pwa()],
  preview: { host: '127.0.0.1', headers: { ...SECURITY_HEADERS } },
  // Dev gets cross-origin isolation (SharedArrayBuffer for WASM threads) but not the CSP: hot reload runs inline scripts.
  server: { host: '127.0.0.1', headers: { ...ISOLATION_HEADERS } },
});
