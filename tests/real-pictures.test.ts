import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { classify } from '../src/core/classify';
import { checkImageBytes } from '../src/core/gallery/validate';
import { MAX_PICTURE_PIXELS, PICTURE_BACKGROUND, pictureHeader, pictureSizeProblem } from '../src/core/picture';
import { imageToModelInput, type RgbaImage } from '../src/core/preprocess';
import { decodeImage, decodePicture } from '../src/node/image-io';
import { expectOneLineFailures, imagePath, net, readPixelsSync, runCli, runCliWithNode } from './helpers';
import { cutOut, jpegWithOrientation, pngWithAlpha, storeForOrientation, writeHugePng } from './picture-fixtures';

const tmp = mkdtempSync(join(tmpdir(), 'convlens-pictures-'));
const SHARED = ['coffee.png', 'chelsea.png', 'astronaut.png', 'rocket.jpg', 'motorcycle_left.png', 'camera.png', 'clock_motion.png'];

function meanAbsDiff(a: RgbaImage, b: RgbaImage): { mean: number; max: number } {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i]! - b.data[i]!);
    sum += d;
    if (d > max) max = d;
  }
  return { mean: sum / a.data.length, max };
}

async function probabilities(image: RgbaImage): Promise<Float32Array> {
  const n = await net('lite');
  const { tensor } = imageToModelInput(image);
  const [all] = [await classify(n, tensor, n.numClasses)];
  tensor.dispose();
  const p = new Float32Array(n.numClasses);
  for (const { index, probability } of all) p[index] = probability;
  return p;
}

const argmax = (p: Float32Array): number => p.indexOf(Math.max(...p));

describe('the decoder (sharp) and the tests’ fixture reader agree on the shared photos', () => {
  it('PNG pixels are identical; the JPEG differs only by decoder rounding', async () => {
    for (const name of SHARED) {
      const product = await decodeImage(readFileSync(imagePath(name)));
      const fixture = readPixelsSync(imagePath(name));
      const { mean, max } = meanAbsDiff(product, fixture);
      // rocket.jpg carries an ICC profile, which sharp applies (as browsers do) and jpeg-js ignores: measured mean
      // difference 4.1 levels. The PNGs have none: identical.
      if (name.endsWith('.png')) expect(max, name).toBe(0);
      else expect(mean, name).toBeLessThan(6);
    }
  });
});

describe('EXIF orientation (issue 14, item 1)', () => {
  const upright = readPixelsSync(imagePath('chelsea.png')); // 451×300: every turn shows in the size
  const files = [1, 2, 3, 4, 5, 6, 7, 8].map((o) => {
    const path = join(tmp, `chelsea-orientation-${o}.jpg`);
    writeFileSync(path, jpegWithOrientation(storeForOrientation(upright, o), o));
    return { o, path };
  });

  it('every orientation decodes to the upright picture: displayed size, pixels within JPEG noise', async () => {
    const reference = await decodePicture(readFileSync(files[0]!.path));
    for (const { o, path } of files) {
      const bytes = readFileSync(path);
      const stored = pictureHeader(bytes)!;
      expect(stored.orientation ?? 1, `orientation ${o} tag written`).toBe(o);
      expect([stored.width, stored.height], `stored size ${o}`).toEqual(o >= 5 ? [300, 451] : [451, 300]);
      const d = await decodePicture(bytes);
      expect(d.orientation).toBe(o);
      expect([d.width, d.height, d.image.width, d.image.height], `orientation ${o}`).toEqual([451, 300, 451, 300]);
      const diff = meanAbsDiff(d.image, upright);
      // JPEG noise only; a picture whose tag were ignored would not even have the upright size.
      expect(diff.mean, `orientation ${o}`).toBeLessThan(2.5);
      expect(meanAbsDiff(d.image, reference.image).mean, `orientation ${o} vs upright JPEG`).toBeLessThan(2.5);
    }
  });

  it('the CLI gives every orientation the upright top-1 and the same crop (stretch and center-crop)', { timeout: 600_000 }, async () => {
    const runs = [];
    for (const { path } of files) {
      runs.push(...(await Promise.all([runCli('classify', path, '--model', 'lite', '--json'), runCli('classify', path, '--model', 'lite', '--fit', 'center-crop', '--json')])));
    }
    const results = runs.map((r) => {
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout) as { crop: object; predictions: { index: number; probability: number }[] };
    });
    const [stretch, centre] = [results[0]!, results[1]!];
    expect(stretch.crop).toEqual({ x: 0, y: 0, width: 451, height: 300 });
    expect(centre.crop).toEqual({ x: 75, y: 0, width: 300, height: 300 });
    const top = argmax(await probabilities(upright));
    expect(stretch.predictions[0]!.index).toBe(top);
    results.forEach((r, i) => {
      const ref = i % 2 === 0 ? stretch : centre;
      expect(r.crop, `run ${i}`).toEqual(ref.crop);
      expect(r.predictions[0]!.index, `run ${i}`).toBe(ref.predictions[0]!.index);
      expect(Math.abs(r.predictions[0]!.probability - ref.predictions[0]!.probability), `run ${i}`).toBeLessThan(0.05);
    });
  });
});

describe('transparency (issue 14, item 2): composited over the documented background', () => {
  const photo = readPixelsSync(imagePath('chelsea.png'));
  const coffee = readPixelsSync(imagePath('coffee.png'));

  it('cut-outs that differ only under alpha 0 decode to identical pixels and get identical predictions', async () => {
    const hidden: ((x: number, y: number) => [number, number, number])[] = [
      () => [0, 0, 0],
      () => [255, 0, 255],
      (x, y) => [(x * 37 + y * 11) & 255, (x * 5 + y * 71) & 255, (x * y) & 255],
      (x, y) => {
        const i = (Math.min(y, coffee.height - 1) * coffee.width + Math.min(x, coffee.width - 1)) * 4;
        return [coffee.data[i]!, coffee.data[i + 1]!, coffee.data[i + 2]!];
      },
    ];
    const decoded = await Promise.all(hidden.map((h) => decodeImage(pngWithAlpha(cutOut(photo, h)))));
    for (const d of decoded.slice(1)) expect(meanAbsDiff(d, decoded[0]!).max).toBe(0);
    const p = await Promise.all(decoded.map(probabilities));
    for (const q of p.slice(1)) expect(Array.from(q)).toEqual(Array.from(p[0]!));
    // Outside the ellipse the pixels are the background; inside, the photo; on the soft edge, the blend.
    const d = decoded[0]!;
    expect([...d.data.subarray(0, 4)]).toEqual([PICTURE_BACKGROUND.r, PICTURE_BACKGROUND.g, PICTURE_BACKGROUND.b, 255]);
    const centre = ((photo.height / 2) * photo.width + Math.floor(photo.width / 2)) * 4;
    expect([...d.data.subarray(centre, centre + 4)]).toEqual([...photo.data.subarray(centre, centre + 3), 255]);
  });

  it('half-transparent pixels are blended: α·colour + (1 − α)·background', async () => {
    const image: RgbaImage = { width: 4, height: 1, data: new Uint8Array([0, 0, 0, 128, 200, 100, 0, 64, 10, 20, 30, 255, 255, 0, 0, 0]) };
    const d = await decodeImage(pngWithAlpha(image));
    const blend = (c: number, a: number, bg: number): number => Math.round((c * a + bg * (255 - a)) / 255);
    const bg = PICTURE_BACKGROUND;
    const want = [
      [blend(0, 128, bg.r), blend(0, 128, bg.g), blend(0, 128, bg.b)],
      [blend(200, 64, bg.r), blend(100, 64, bg.g), blend(0, 64, bg.b)],
      [10, 20, 30],
      [bg.r, bg.g, bg.b],
    ];
    want.forEach((rgb, i) => {
      const got = [...d.data.subarray(i * 4, i * 4 + 4)];
      rgb.forEach((v, k) => expect(Math.abs(got[k]! - v), `pixel ${i} channel ${k}`).toBeLessThanOrEqual(1));
      expect(got[3]).toBe(255);
    });
  });

  it('a fully transparent picture is exactly a constant picture of the background colour (not the hidden photo)', async () => {
    const clear: RgbaImage = { ...photo, data: Uint8Array.from(photo.data, (v, i) => (i % 4 === 3 ? 0 : v)) };
    const constant: RgbaImage = { ...photo, data: new Uint8Array(photo.data.length).map((_, i) => [PICTURE_BACKGROUND.r, PICTURE_BACKGROUND.g, PICTURE_BACKGROUND.b, 255][i % 4]!) };
    const decoded = await decodeImage(pngWithAlpha(clear));
    expect(meanAbsDiff(decoded, constant).max).toBe(0);
    const [pClear, pConstant, pPhoto] = await Promise.all([decoded, constant, photo].map(probabilities));
    expect(Array.from(pClear!)).toEqual(Array.from(pConstant!));
    expect(argmax(pClear!)).not.toBe(argmax(pPhoto!));
  });
});

describe('size (issue 14, item 3): one pixel limit, from the header, for every format', () => {
  it('a valid 48 MP JPEG is classified like the photo it was made from, with its full-size crop, in < 1.5 GB', async () => {
    const big = join(tmp, 'chelsea-48mp.jpg');
    await sharp(imagePath('chelsea.png')).resize(8000, 6000, { fit: 'fill' }).jpeg({ quality: 90 }).toFile(big);
    expect(pictureHeader(readFileSync(big))).toMatchObject({ width: 8000, height: 6000 });
    // The CLI as a user runs it, with its peak resident memory reported by the process itself at exit.
    const rss = 'data:text/javascript,process.on("exit",()=>process.stderr.write("maxrss-kb "+process.resourceUsage().maxRSS+"\\n"))';
    const r = await runCliWithNode(['--import', rss], 'classify', big, '--model', 'lite', '--json');
    const kb = Number(/maxrss-kb (\d+)/.exec(r.stderr)?.[1]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { crop: object; predictions: { index: number }[] };
    expect(out.crop).toEqual({ x: 0, y: 0, width: 8000, height: 6000 });
    const small = argmax(await probabilities(readPixelsSync(imagePath('chelsea.png'))));
    expect(out.predictions[0]!.index).toBe(small);
    console.log(`48 MP JPEG (${(statSync(big).size / 1e6).toFixed(1)} MB): peak RSS of the CLI ${(kb / 1024).toFixed(0)} MiB`);
    expect(kb * 1024).toBeLessThan(1.5e9);
  });

  it('a 10000×10000 PNG is refused from its header (CLI, core rule, gallery check), quickly and in one line', async () => {
    const huge = join(tmp, 'huge-10000.png');
    await writeHugePng(huge, 10_000, 10_000);
    const bytes = readFileSync(huge);
    const reason = 'too large: 10000×10000 pixels (100.0 MP; the limit is 64.0 MP)';
    expect(pictureSizeProblem(bytes)).toBe(reason);
    expect(checkImageBytes(bytes, { maxBytes: 64 * 1024 * 1024 })).toEqual({ ok: false, reason });
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    await expect(decodePicture(bytes, 'huge.png')).rejects.toThrow(`huge.png: ${reason}`);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(process.memoryUsage().rss - before).toBeLessThan(50e6); // 100 MP would be 400 MB of RGBA
    const cases = [[['classify', huge], new RegExp(`${huge}: too large: 10000×10000 pixels \\(100\\.0 MP; the limit is 64\\.0 MP\\)`)]] as const;
    expectOneLineFailures(cases, await Promise.all(cases.map(([args]) => runCli(...args, '--model', 'lite'))));
    expect(MAX_PICTURE_PIXELS).toBeGreaterThanOrEqual(50e6);
  });

  it('never "corrupt" for a valid file at the limit; a truncated one still is', async () => {
    const atLimit = join(tmp, 'at-limit.png');
    await writeHugePng(atLimit, 8000, 8000); // 64.0 MP exactly
    const d = await decodePicture(readFileSync(atLimit), 'at-limit.png');
    expect([d.width, d.height, d.image.width, d.image.height]).toEqual([8000, 8000, 2048, 2048]);
    expect(d.image.data[0]).toBe(128);
    const cut = readFileSync(imagePath('coffee.png')).subarray(0, 30_000);
    await expect(decodePicture(cut, 'cut.png')).rejects.toThrow(/^cannot decode cut\.png: truncated or corrupt PNG/);
  });
});

