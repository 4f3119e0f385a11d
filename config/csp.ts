import type { Plugin } from 'vite';
import { ISOLATION_HEADERS } from './isolation.ts';

export { ISOLATION_HEADERS };

/**
 * ConvLens's Content-Security-Policy: everything from the app's own origin, nothing inline, no JavaScript eval.
 * Measured with the webgl, cpu and webgpu backends (e2e/privacy.spec.ts, e2e/csp-webgpu.spec.ts): none of
 * them needs more. Lit's component styles are constructable stylesheets (adoptedStyleSheets), which CSP does
 * not govern; inline `style="…"` attributes would be blocked, so components set styles through the CSSOM
 * (Lit's styleMap) instead. blob:/data: images and blob:/mediastream: media are picked files, dropped files,
 * video files and the camera.
 *
 * Three additions are for TensorFlow.js's WASM backend (@tensorflow/tfjs-backend-wasm 4.22, threaded SIMD
 * build) on GPU-less kiosks; none of them lets an inline script or a script from another origin run
 * (e2e/privacy.spec.ts, e2e/isolation.spec.ts check that):
 * - script-src `'wasm-unsafe-eval'`: compiling WebAssembly (`WebAssembly.compile`/`instantiate`) is refused
 *   without it. It allows WebAssembly only, not `eval`/`new Function` (CSP3; Chromium ≥ 97, Firefox ≥ 102,
 *   Safari ≥ 16). The inference worker needs it under its own policy: a worker script served with this header
 *   takes its policy from its own response (Chromium), so the same header must carry it.
 * - worker-src `blob:`: the threaded build starts its pthread workers from blob: URLs (dist/backend_wasm.js:
 *   `locateFile` answers '*.worker.js' with `URL.createObjectURL(new Blob([workerCode]))`).
 * - script-src `blob:`: each pthread worker then `importScripts` the main script, which the backend passes as
 *   a Blob URL too (`mainScriptUrlOrBlob`). blob: URLs are made by code that already runs on this origin, so
 *   this admits no script the page did not itself produce.
 */
export const CSP_DIRECTIVES: Readonly<Record<string, string>> = {
  'default-src': "'self'",
  'script-src': "'self' 'wasm-unsafe-eval' blob:",
  'worker-src': "'self' blob:",
  'connect-src': "'self'",
  'img-src': "'self' blob: data:",
  'media-src': "'self' blob: mediastream:",
  'style-src': "'self'",
  'font-src': "'self'",
  'manifest-src': "'self'",
  'object-src': "'none'",
  'base-uri': "'self'",
  'form-action': "'none'",
};

function serialize(directives: Readonly<Record<string, string>>): string {
  return Object.entries(directives)
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');
}

/** The policy in the built index.html's <meta> (frame-ancestors is ignored in a meta policy, so it is left out). */
export const CSP_META = serialize(CSP_DIRECTIVES);

/** The policy sent as an HTTP header by `vite preview` (and the e2e static server): the meta one, plus no framing. */
export const CSP_HEADER = serialize({ ...CSP_DIRECTIVES, 'frame-ancestors': "'none'" });

/**
 * The GrabCut worker's script (workers/grabcut.worker.ts, built as assets/grabcut.worker-<hash>.js) and only it gets
 * a policy that also allows `'unsafe-eval'`: opencv.js (@techstark/opencv-js 4.12, Emscripten embind) builds its
 * function wrappers with `new Function(…)` at start-up, in every published build (checked: 4.12, 5.0 and
 * @opencvjs/web 5.0 all do), and a dedicated worker takes its policy from its own response. That worker runs
 * OpenCV alone, is started by the inference worker only for a segmentation, receives pixels and seed labels and
 * fetches nothing; the page and the inference worker keep the policy above (no eval). A host that sends the CSP as
 * a header must send this one for that file (vite preview and the e2e server do, see grabCutWorkerHeaders).
 */
export const GRABCUT_WORKER_CSP_HEADER = serialize({
  ...CSP_DIRECTIVES,
  'script-src': `${CSP_DIRECTIVES['script-src']} 'unsafe-eval'`,
  // opencv.js first tries fetch() on its inlined WebAssembly (a data: URL), then decodes it itself.
  'connect-src': `${CSP_DIRECTIVES['connect-src']} data:`,
  'frame-ancestors': "'none'",
});

/** Whether a request path (query allowed) is the built GrabCut worker script. */
export function isGrabCutWorkerPath(url: string): boolean {
  return /\/assets\/grabcut\.worker-[\w-]+\.js(?:\?.*)?$/.test(url);
}

/** Headers any server of the built app should send: the CSP, cross-origin isolation and two hardening headers. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CSP_HEADER,
  ...ISOLATION_HEADERS,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/**
 * Puts the policy into index.html as the first element of <head>, in builds only: the dev server needs
 * inline scripts for hot reload.
 */
/**
 * `vite preview`: sends GRABCUT_WORKER_CSP_HEADER instead of CSP_HEADER with the GrabCut worker's script (preview's
 * `headers` option puts one policy on every file; this rewrites it for that one path).
 */
export function grabCutWorkerHeaders(): Plugin {
  return {
    name: 'convlens-grabcut-worker-csp',
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => {
        if (req.url && isGrabCutWorkerPath(req.url)) {
          const set = res.setHeader.bind(res);
          res.setHeader = (name, value) => set(name, name.toLowerCase() === 'content-security-policy' ? GRABCUT_WORKER_CSP_HEADER : value);
        }
        next();
      });
    },
  };
}

export function cspMeta(): Plugin {
  return {
    name: 'convlens-csp-meta',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP_META }, injectTo: 'head-prepend' }],
    },
  };
}
