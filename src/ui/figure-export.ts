import type { Prediction } from '../core/classify';
import { addPngText } from '../core/render/png-text';
import type { AppState } from './app-state';
import type { Crop } from './frame-source';
import { PICTURE_BACKGROUND_CSS } from '../core/picture';
import { captionText } from './live-status';

/** What one exported figure shows: the picture with its overlay (or a panel such as the activation grid). */
export interface FigureContent {
  title: string;
  caption: string;
  /** Small print under the caption: model, backend, layer, date. */
  footer: string;
  top5: Prediction[];
  /** The picture and the square of it the model saw. */
  picture?: { source: CanvasImageSource; crop: Crop; mirrored: boolean };
  /** Heatmap canvas painted over the picture (already colourised, with alpha). */
  overlay?: HTMLCanvasElement;
  /** Drawn instead of the picture when the view has no overlay (activation grid, filters). */
  panel?: HTMLCanvasElement;
}

const SIDE = 720; // the figure's picture area, px: sharp on a 1080p slide
const COLUMN = 420;
const PAD = 32;
const FONT = '"Atkinson Hyperlegible", system-ui, sans-serif';

/** Greedy word wrap to a pixel width. */
function wrap(ctx: CanvasRenderingContext2D, text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    const next = line ? `${line} ${word}` : word;
    if (ctx.measureText(next).width > width && line) {
      lines.push(line);
      line = word;
    } else {
      line = next;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Draws the figure: picture + overlay on the left, title and top-5 on the right, the caption underneath. */
export function drawFigure(content: FigureContent): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d')!;
  ctx.font = `28px ${FONT}`;
  const captionLines = wrap(ctx, content.caption, SIDE + COLUMN);
  canvas.width = PAD * 3 + SIDE + COLUMN;
  canvas.height = PAD * 3 + SIDE + captionLines.length * 38 + 34;
  ctx.fillStyle = '#111';
  ctx.fillRect(0, 0, canvas.width, canvas.height);

  ctx.imageSmoothingEnabled = true;
  if (content.picture && !content.panel) {
    const { source, crop, mirrored } = content.picture;
    ctx.save();
    if (mirrored) {
      ctx.translate(PAD * 2 + SIDE, 0);
      ctx.scale(-1, 1);
    }
    // Transparent pictures are shown as the model saw them: over the picture background (src/core/picture.ts).
    ctx.fillStyle = PICTURE_BACKGROUND_CSS;
    ctx.fillRect(PAD, PAD, SIDE, SIDE);
    ctx.drawImage(source, crop.x, crop.y, crop.width, crop.height, PAD, PAD, SIDE, SIDE);
    if (content.overlay && content.overlay.width > 0) ctx.drawImage(content.overlay, PAD, PAD, SIDE, SIDE);
    ctx.restore();
  } else if (content.panel && content.panel.width > 0) {
    const scale = Math.min(SIDE / content.panel.width, SIDE / content.panel.height);
    const w = content.panel.width * scale;
    const h = content.panel.height * scale;
    ctx.imageSmoothingEnabled = false; // activation tiles and filters are pixel art
    ctx.drawImage(content.panel, PAD + (SIDE - w) / 2, PAD + (SIDE - h) / 2, w, h);
  }

  const left = PAD * 2 + SIDE;
  ctx.fillStyle = '#eee';
  ctx.textBaseline = 'top';
  ctx.font = `bold 40px ${FONT}`;
  ctx.fillText(content.title, left, PAD);
  ctx.font = `26px ${FONT}`;
  content.top5.forEach((p, i) => {
    const y = PAD + 80 + i * 64;
    ctx.fillStyle = '#eee';
    ctx.fillText(p.label.split(',')[0]!, left, y, COLUMN - 110);
    ctx.textAlign = 'right';
    ctx.fillText(`${(p.probability * 100).toFixed(1)} %`, left + COLUMN, y);
    ctx.textAlign = 'left';
    ctx.fillStyle = '#333';
    ctx.fillRect(left, y + 34, COLUMN, 10);
    ctx.fillStyle = '#f6a21a';
    ctx.fillRect(left, y + 34, COLUMN * p.probability, 10);
  });

  ctx.fillStyle = '#eee';
  ctx.font = `28px ${FONT}`;
  captionLines.forEach((line, i) => ctx.fillText(line, PAD, PAD * 2 + SIDE + i * 38));
  ctx.fillStyle = '#aaa';
  ctx.font = `20px ${FONT}`;
  ctx.fillText(content.footer, PAD, PAD * 2 + SIDE + captionLines.length * 38 + 8);
  return canvas;
}

/** Encodes the figure as PNG with its title and caption as text metadata, and offers it as a download. */
export async function exportFigure(content: FigureContent, fileName: string): Promise<Blob> {
  const canvas = drawFigure(content);
  const blob = await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the figure could not be encoded'))), 'image/png'));
  const png = addPngText(new Uint8Array(await blob.arrayBuffer()), { Title: content.title, Description: content.caption, Software: 'ConvLens' });
  const file = new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' });
  const url = URL.createObjectURL(file);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return file;
}

/** The figure of the view on screen: picture (frozen or live) with its overlay, or the grid/filters panel; title, top-5, caption, footer. */
export async function exportViewFigure(
  s: Readonly<AppState>,
  picture: CanvasImageSource | undefined,
  canvases: { overlay?: HTMLCanvasElement; panel?: HTMLCanvasElement },
): Promise<Blob> {
  const view = s.settings.view;
  const layer = view === 'activations' ? `, layer ${s.settings.layer}${s.channel >= 0 ? ` channel ${s.channel}` : ''}` : '';
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  return exportFigure(
    {
      title: `${s.strings.title} — ${s.strings.viewNames[view]}`,
      caption: captionText(s),
      footer: `MobileNet v1 ${s.model} on ${s.backend ?? '?'}${layer} · ${new Date().toLocaleString()}`,
      top5: s.frame?.top5 ?? [],
      ...(picture && s.crop ? { picture: { source: picture, crop: s.crop, mirrored: s.mirrored } } : {}),
      ...canvases,
    },
    `convlens-${view}-${stamp}.png`,
  );
}
