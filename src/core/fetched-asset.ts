/**
 * Telling a missing file from a damaged one when it is fetched. Static hosts with a single-page-app fallback —
 * `vite preview` (what `npm start` runs) among them — answer a request for a file that does not exist with the
 * app's index.html and status 200. A fetch that only checks `response.ok` then takes the page for the file, and a
 * checksum or a decoder reports it as damaged. An HTML page where a model file, a picture or a JSON file was asked
 * for is recognised by its content type or its first bytes and reported as missing.
 */

/** The part of a fetch Response these checks read. */
export interface ResponseLike {
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
}

const HTML_START = /^(?:\uFEFF)?\s*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])/i;

/** True when the bytes begin like an HTML document (after an optional BOM and white space). */
export function looksLikeHtml(bytes: Uint8Array): boolean {
  return HTML_START.test(new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 256)));
}

/** True when the first 512 bytes hold a NUL: binary data (weights, pictures), never an HTML page. */
function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 512).includes(0);
}

/**
 * True when the response is an HTML page: its bytes begin like one, or its Content-Type says HTML and the bytes
 * (when given) are text — a damaged binary file mislabelled text/html stays damaged.
 */
export function isHtmlAnswer(response: Pick<ResponseLike, 'headers'>, bytes?: Uint8Array): boolean {
  if (bytes !== undefined && looksLikeHtml(bytes)) return true;
  const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  return (type === 'text/html' || type === 'application/xhtml+xml') && (bytes === undefined || !looksBinary(bytes));
}

/** Why a fetched asset is unusable. */
export type AssetProblem = { problem: 'missing' | 'network'; detail: string };

/**
 * The problem with a fetched asset, if any: 'missing' for 404/410 and for an HTML page standing in for the file
 * (SPA fallback), 'network' for other failed statuses. `bytes` (the body, when read) lets the check look at the
 * first bytes when the Content-Type is absent or wrong.
 */
export function assetProblem(response: ResponseLike, bytes?: Uint8Array): AssetProblem | undefined {
  if (!response.ok) return { problem: response.status === 404 || response.status === 410 ? 'missing' : 'network', detail: `HTTP ${response.status}` };
  if (isHtmlAnswer(response, bytes)) return { problem: 'missing', detail: htmlFallbackDetail(response.status) };
  return undefined;
}

/** The detail line for an HTML page answered in place of a file. */
export function htmlFallbackDetail(status: number): string {
  return `the server answered with an HTML page instead (HTTP ${status}), as a single-page-app fallback does for a file it does not have`;
}
