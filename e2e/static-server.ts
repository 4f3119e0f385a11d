import { createReadStream, existsSync, statSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { GRABCUT_WORKER_CSP_HEADER, ISOLATION_HEADERS, SECURITY_HEADERS, isGrabCutWorkerPath } from '../config/csp';
import { DIST } from '../playwright.config';

/**
 * A tiny static server for the built app (DIST), for tests that must control the server: stop it for real
 * (offline), or serve changed bytes for one path (a new build, a corrupt model shard). Same headers as
 * `vite preview` (the CSP and cross-origin isolation), index.html for unknown paths without an extension (like a
 * SPA host), 404 otherwise.
 */
export interface StaticServer {
  /** e.g. 'http://127.0.0.1:40123' (no trailing slash). */
  readonly origin: string;
  /** Serves `body` for `path` (e.g. '/sw.js') from now on; `null` removes the override. */
  override(path: string, body: string | Uint8Array | null): void;
  /** How many requests for `path` were answered so far. */
  hits(path: string): number;
  /** Stops listening and drops every open connection; afterwards the port refuses connections. */
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** Model weight shards have no extension ('group1-shard1of1'). */
function mimeType(path: string): string {
  return MIME[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** Options of {@link startStaticServer}. */
export interface StaticServerOptions {
  /**
   * false: leave out the cross-origin isolation headers (COOP, COEP, CORP), as a host that does not know about
   * them would; the CSP and the other headers are still sent. Default true.
   */
  isolation?: boolean;
}

/** Serves `root` (default: the e2e build, DIST) on a free port of 127.0.0.1. */
export async function startStaticServer(root: string = DIST, options: StaticServerOptions = {}): Promise<StaticServer> {
  if (!existsSync(join(root, 'index.html'))) throw new Error(`static server: no built app in ${root}`);
  const overrides = new Map<string, Uint8Array>();
  const counts = new Map<string, number>();
  const isolation = new Set(Object.keys(ISOLATION_HEADERS));
  const base = Object.fromEntries(Object.entries(SECURITY_HEADERS).filter(([name]) => options.isolation !== false || !isolation.has(name)));

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const headers: Record<string, string> = { ...base, 'Cache-Control': 'no-cache' };
    // The GrabCut worker's own policy (opencv.js needs 'unsafe-eval' there and only there: config/csp.ts).
    if (isGrabCutWorkerPath(path)) headers['Content-Security-Policy'] = GRABCUT_WORKER_CSP_HEADER;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, headers).end();
      return;
    }
    const body = overrides.get(path);
    if (body) {
      res.writeHead(200, { ...headers, 'Content-Type': mimeType(path), 'Content-Length': String(body.byteLength) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    let file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403, headers).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      if (extname(path) !== '') {
        res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
        return;
      }
      file = join(root, 'index.html');
    }
    res.writeHead(200, { ...headers, 'Content-Type': mimeType(file), 'Content-Length': String(statSync(file).size) });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;

  return {
    origin: `http://127.0.0.1:${port}`,
    override(path, content) {
      if (content === null) overrides.delete(path);
      else overrides.set(path, typeof content === 'string' ? new TextEncoder().encode(content) : content);
    },
    hits: (path) => counts.get(path) ?? 0,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive connections would otherwise keep serving the browser after close().
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
