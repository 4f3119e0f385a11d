/**
 * Thumbnails of the visitors' snapshots, made from the frame each snapshot job kept (object URLs of PNGs), until
 * the kiosk forgets them at its idle reset.
 */
export class SnapshotThumbnails {
  private readonly urls = new Map<string, string>();

  remember(id: string, frame: ImageBitmap): void {
    const canvas = document.createElement('canvas');
    canvas.width = frame.width;
    canvas.height = frame.height;
    canvas.getContext('2d')!.drawImage(frame, 0, 0);
    canvas.toBlob((blob) => blob && this.urls.set(id, URL.createObjectURL(blob)));
  }

  url(id: string): string | undefined {
    return this.urls.get(id);
  }

  clear(): void {
    for (const url of this.urls.values()) URL.revokeObjectURL(url);
    this.urls.clear();
  }
}
