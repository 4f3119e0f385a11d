import { defineConfig } from 'vite';

export default defineConfig({
  // Everything is served from the app's own origin: models under /models, the gallery under /gallery.
  publicDir: 'public',
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  preview: { host: '127.0.0.1' },
  server: { host: '127.0.0.1' },
});
