import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { crc32, createDeflate } from 'node:zlib';
import jpeg from 'jpeg-js';
import piexif from 'piexifjs';
import { PNG } from 'pngjs';
import type { CropRect, RgbaImage } from '../src/core/preprocess';

/**
 * Real-world picture fixtures made from the shared photos: the same photo stored in each EXIF orientation, cut-outs
 * with alpha, and a huge PNG written row by row (never held in memory).
 */

/**
 * Where display pixel (x, y) of a W×H picture lives in the stored pixels for EXIF orientation `o` (TIFF 6.0 /
 * EXIF 2.32 tag 274: 2 mirror, 3 rotate 180°, 4 flip, 5 transpose, 6 rotate 90° clockwise to display, 7 transverse,
 * 8 rotate 90° counter-clockwise to display). Stored size: W×H for 1–4, H×W for 5–8.
 */
export function storedCoordinates(o: number, x: number, y: number, W: number, H: number): [number, number] {
  const sw = o >= 5 ? H : W;
  const sh = o >= 5 ? W : H;
  switch (o) {
    case 1: return [x, y];
    case 2: return [sw - 1 - x, y];
    case 3: return [sw - 1 - x, sh - 1 - y];
    case 4: return [x, sh - 1 - y];
    case 5: return [y, x];
    case 6: return [y, sh - 1 - x];
    case 7: return [sw - 1 - y, sh - 1 - x];
    case 8: return [sw - 1 - y, x];
    default: throw new RangeError(`orientation ${o}`);
  }
}

/** The stored pixels that display as `upright` under orientation `o`. */
export function storeForOrientation(upright: RgbaImage, o: number): RgbaImage {
  const { width: W, height: H } = upright;
  const sw = o >= 5 ? H : W;
  const sh = o >= 5 ? W : H;
  const data = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const [sx, sy] = storedCoordinates(o, x, y, W, H);
      data.set(upright.data.subarray((y * W + x) * 4, (y * W + x) * 4 + 4), (sy * sw + sx) * 4);
    }
  }
  return { width: sw, height: sh, data };
}

/** A JPEG (jpeg-js, quality 95) of `stored` carrying EXIF Orientation `o`, written by piexifjs. */
export function jpegWithOrientation(stored: RgbaImage, o: number): Buffer {
  const encoded = jpeg.encode({ width: stored.width, height: stored.height, data: Buffer.from(stored.data) }, 95).data;
  const exif = piexif.dump({ '0th': { [piexif.ImageIFD.Orientation]: o } });
  return Buffer.from(piexif.insert(exif, encoded.toString('binary')), 'binary');
}

/** RGBA → PNG bytes with its alpha channel (pngjs, colour type 6). */
export function pngWithAlpha(image: RgbaImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height, colorType: 6 });
  png.data = Buffer.from(image.data);
  return PNG.sync.write(png, { colorType: 6 });
}

/**
 * A cut-out of `photo`: opaque inside a centred ellipse, a soft edge (alpha falling to 0 over `edge` pixels), and
 * fully transparent outside, where the RGB values are `hidden(x, y)` instead of the photo's.
 */
export function cutOut(photo: RgbaImage, hidden: (x: number, y: number) => [number, number, number], edge = 6): RgbaImage {
  const { width: W, height: H } = photo;
  const data = new Uint8Array(photo.data);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const r = Math.hypot((x - W / 2) / (W * 0.35), (y - H / 2) / (H * 0.4));
      const inside = (1 - r) * Math.min(W * 0.35, H * 0.4);
      const alpha = Math.round(255 * Math.min(1, Math.max(0, inside / edge)));
      const i = (y * W + x) * 4;
      data[i + 3] = alpha;
      if (alpha === 0) data.set(hidden(x, y), i);
    }
  }
  return { width: W, height: H, data };
}

/** A valid 8-bit greyscale PNG of width × height pixels, streamed to `path` row by row (a few MB in memory at most). */
export async function writeHugePng(path: string, width: number, height: number): Promise<void> {
  const out = createWriteStream(path);
  const chunk = (type: string, data: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale, deflate, no filter method, no interlace
  out.write(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  out.write(chunk('IHDR', ihdr));
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (d: Buffer) => parts.push(d));
  const row = Buffer.alloc(width + 1, 128);
  row[0] = 0; // filter type None
  for (let y = 0; y < height; y++) if (!deflate.write(row)) await once(deflate, 'drain');
  deflate.end();
  await once(deflate, 'end');
  out.write(chunk('IDAT', Buffer.concat(parts)));
  out.write(chunk('IEND', Buffer.alloc(0)));
  out.end();
  await once(out, 'finish');
}

/**
 * The crops a visitor holding an object up to the camera gives, roughly: the whole `width` × `height` picture and its
 * four 80 % corners (pixels).
 */
export function heldUpCrops(width: number, height: number): CropRect[] {
  const w = Math.round(width * 0.8);
  const h = Math.round(height * 0.8);
  return [
    { x: 0, y: 0, width, height },
    { x: 0, y: 0, width: w, height: h },
    { x: width - w, y: 0, width: w, height: h },
    { x: 0, y: height - h, width: w, height: h },
    { x: width - w, y: height - h, width: w, height: h },
  ];
}
