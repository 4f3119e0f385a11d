import type { Plugin } from 'vite';

/**
 * ConvLens's Content-Security-Policy: everything from the app's own origin, nothing inline, no eval.
 * Measured with the webgl, cpu and webgpu backends (e2e/privacy.spec.ts, e2e/csp-webgpu.spec.ts): none of
 * them needs more. Lit's component styles are constructable stylesheets (adoptedStyleSheets), which CSP does
 * not govern; inline `style="…"` attributes would be blocked, so components set styles through the CSSOM
 * (Lit's styleMap) instead. blob:/data: images and blob:/mediastream: media are picked files, dropped files,
 * video files and the camera.
 */
export const CSP_DIRECTIVES: Readonly<Record<string, string>> = {
  'default-src': "'self'",
  'script-src': "'self'",
  'worker-src': "'self'",
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

/** Headers any server of the built app should send. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CSP_HEADER,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/**
 * Puts the policy into index.html as the first element of <head>, in builds only: the dev server needs
 * inline scripts for hot reload.
 */
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
