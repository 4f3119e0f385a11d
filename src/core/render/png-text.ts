/**
 * Text metadata in PNG files (iTXt chunks, UTF-8): exported figures carry their caption, so a slide or a
 * screen reader has the words and not only the pixels. Canvas encoders write no metadata, hence these few lines.
 */

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

function assertPng(png: Uint8Array): void {
  if (png.length < 33 || SIGNATURE.some((b, i) => png[i] !== b)) throw new Error('not a PNG file');
}

interface Chunk {
  type: string;
  start: number;
  data: Uint8Array;
}

function* chunks(png: Uint8Array): Generator<Chunk> {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (let at = 8; at + 12 <= png.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    yield { type, start: at, data: png.subarray(at + 8, at + 8 + length) };
    at += 12 + length;
  }
}

/** Returns a copy of the PNG with one iTXt chunk per entry, placed right after IHDR. */
export function addPngText(png: Uint8Array, entries: Record<string, string>): Uint8Array {
  assertPng(png);
  const encoder = new TextEncoder();
  const parts = Object.entries(entries).map(([keyword, text]) => {
    if (!/^[\x20-\x7e]{1,79}$/.test(keyword)) throw new Error(`bad PNG text keyword “${keyword}”`);
    // keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL, UTF-8 text
    const body = new Uint8Array([...encoder.encode(keyword), 0, 0, 0, 0, 0, ...encoder.encode(text)]);
    const chunk = new Uint8Array(12 + body.length);
    const view = new DataView(chunk.buffer);
    view.setUint32(0, body.length);
    chunk.set(encoder.encode('iTXt'), 4);
    chunk.set(body, 8);
    view.setUint32(8 + body.length, crc32(chunk.subarray(4, 8 + body.length)));
    return chunk;
  });
  const afterHeader = 8 + 12 + new DataView(png.buffer, png.byteOffset).getUint32(8); // IHDR is always first
  const out = new Uint8Array(png.length + parts.reduce((n, p) => n + p.length, 0));
  out.set(png.subarray(0, afterHeader), 0);
  let at = afterHeader;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  out.set(png.subarray(afterHeader), at);
  return out;
}

/** Reads the uncompressed iTXt and tEXt entries of a PNG; throws on a chunk whose CRC does not match. */
export function readPngText(png: Uint8Array): Record<string, string> {
  assertPng(png);
  const result: Record<string, string> = {};
  const decoder = new TextDecoder();
  for (const chunk of chunks(png)) {
    if (chunk.type !== 'iTXt' && chunk.type !== 'tEXt') continue;
    const stored = new DataView(png.buffer, png.byteOffset).getUint32(chunk.start + 8 + chunk.data.length);
    if (crc32(png.subarray(chunk.start + 4, chunk.start + 8 + chunk.data.length)) !== stored) throw new Error(`corrupt ${chunk.type} chunk`);
    const nul = chunk.data.indexOf(0);
    const keyword = decoder.decode(chunk.data.subarray(0, nul));
    if (chunk.type === 'tEXt') {
      result[keyword] = String.fromCharCode(...chunk.data.subarray(nul + 1));
    } else if (chunk.data[nul + 1] === 0) {
      let at = nul + 3;
      at = chunk.data.indexOf(0, at) + 1; // language tag
      at = chunk.data.indexOf(0, at) + 1; // translated keyword
      result[keyword] = decoder.decode(chunk.data.subarray(at));
    }
  }
  return result;
}
