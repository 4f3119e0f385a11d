import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_FLAGS, CHROMIUM } from '../e2e/chromium';
import { PICTURE_BACKGROUND } from '../src/core/picture';
import { ROOT, imagePath, readPixelsSync } from './helpers';
import { cutOut, jpegWithOrientation, pngWithAlpha, storeForOrientation } from './picture-fixtures';

/**
 * The browser half of the picture rules (issue 14, items 1 and 2), in Debian's Chromium: workers/picture-decode.ts —
 * the code the inference worker decodes stored and bundled gallery pictures with and composites every frame with —
 * bundled as it is and run in a page. The Node worker harness cannot cover it (no createImageBitmap, no canvas).
 */

let browser: Browser;
let script: string;

beforeAll(async () => {
  const bundle = await build({
    stdin: {
      contents: "import * as decode from './workers/picture-decode'; (globalThis as unknown as Record<string, unknown>).pictureDecode = decode;",
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    write: false,
    logLevel: 'silent',
  });
  script = bundle.outputFiles[0]!.text;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: BASE_FLAGS });
});

afterAll(async () => {
  await browser?.close();
});

interface Decoded {
  width: number;
  height: number;
  data: number[];
}

/** Decodes each file in a fresh page with decodePictureBytes; returns plain arrays. */
async function decodeInChromium(files: { bytes: Buffer; type: string }[]): Promise<Decoded[]> {
  const page = await browser.newPage();
  try {
    await page.addScriptTag({ content: script });
    return await page.evaluate(async (list) => {
      const api = (globalThis as unknown as { pictureDecode: typeof import('../workers/picture-decode') }).pictureDecode;
      const out = [];
      for (const { b64, type } of list) {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const img = await api.decodePictureBytes(bytes, type);
        let binary = '';
        for (let i = 0; i < img.data.length; i += 0x8000) binary += String.fromCharCode(...img.data.subarray(i, i + 0x8000));
        out.push({ width: img.width, height: img.height, b64: btoa(binary) });
      }
      return out;
    }, files.map((f) => ({ b64: f.bytes.toString('base64'), type: f.type })))
      .then((list) => list.map(({ width, height, b64 }) => ({ width, height, data: Array.from(Buffer.from(b64, 'base64')) })));
  } finally {
    await page.close();
  }
}

function meanAbsDiff(a: { data: ArrayLike<number> }, b: { data: ArrayLike<number> }): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / a.data.length;
}

describe('workers/picture-decode.ts in Chromium', { timeout: 300_000 }, () => {
  it('applies every EXIF orientation: the same upright picture, displayed size, JPEG noise only', async () => {
    const upright = readPixelsSync(imagePath('chelsea.png'));
    const files = [1, 2, 3, 4, 5, 6, 7, 8].map((o) => ({ bytes: jpegWithOrientation(storeForOrientation(upright, o), o), type: 'image/jpeg' }));
    const decoded = await decodeInChromium(files);
    decoded.forEach((d, i) => {
      expect([d.width, d.height], `orientation ${i + 1}`).toEqual([451, 300]);
      expect(meanAbsDiff(d, upright), `orientation ${i + 1}`).toBeLessThan(2.5);
    });
  });

  it('composites alpha over the background: hidden colours never count, a clear picture is the background', async () => {
    const photo = readPixelsSync(imagePath('chelsea.png'));
    const cutA = cutOut(photo, () => [0, 0, 0]);
    const cutB = cutOut(photo, (x, y) => [(x * 37 + y * 11) & 255, 255, (x * y) & 255]);
    const clear = { ...photo, data: Uint8Array.from(photo.data, (v, i) => (i % 4 === 3 ? 0 : v)) };
    const [a, b, c] = await decodeInChromium([cutA, cutB, clear].map((img) => ({ bytes: pngWithAlpha(img), type: 'image/png' })));
    expect(meanAbsDiff(a!, b!)).toBe(0);
    const bg = [PICTURE_BACKGROUND.r, PICTURE_BACKGROUND.g, PICTURE_BACKGROUND.b, 255];
    expect(c!.data.every((v, i) => v === bg[i % 4])).toBe(true);
    expect(a!.data.slice(0, 4)).toEqual(bg);
    // Inside the ellipse: the photo, opaque, as it was.
    const centre = (150 * 451 + 225) * 4;
    expect(a!.data.slice(centre, centre + 4)).toEqual([...photo.data.slice(centre, centre + 3), 255]);
  });

  it('compositeFrame (every live frame) gives an opaque bitmap over the background', async () => {
    const page = await browser.newPage();
    try {
      await page.addScriptTag({ content: script });
      const pixels = await page.evaluate(async () => {
        const api = (globalThis as unknown as { pictureDecode: typeof import('../workers/picture-decode') }).pictureDecode;
        const data = new Uint8ClampedArray(4 * 4 * 4);
        for (let i = 0; i < 16; i++) data.set(i < 8 ? [10, 200, 30, 0] : [10, 200, 30, 255], i * 4); // top half clear, hidden green
        const bitmap = await createImageBitmap(new ImageData(data, 4, 4));
        const opaque = api.compositeFrame(bitmap);
        const canvas = new OffscreenCanvas(4, 4);
        const ctx = canvas.getContext('2d')!;
        ctx.drawImage(opaque, 0, 0);
        return Array.from(ctx.getImageData(0, 0, 4, 4).data);
      });
      const bg = [PICTURE_BACKGROUND.r, PICTURE_BACKGROUND.g, PICTURE_BACKGROUND.b, 255];
      expect(pixels.slice(0, 32)).toEqual(Array.from({ length: 32 }, (_, i) => bg[i % 4]));
      expect(pixels.slice(32, 36)).toEqual([10, 200, 30, 255]);
    } finally {
      await page.close();
    }
  });
});
